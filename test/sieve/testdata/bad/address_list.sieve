redirect "a@b, c@d";
