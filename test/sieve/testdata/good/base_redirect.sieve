redirect "joe@example.com";
redirect "Joe Bloggs <joe@example.com>";
redirect "\"J B\" <j.b@[127.0.0.1]>";
