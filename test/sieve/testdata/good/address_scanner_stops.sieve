redirect "a@b)";
redirect "a@b (open";
