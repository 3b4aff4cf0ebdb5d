redirect "a@b \"x";
