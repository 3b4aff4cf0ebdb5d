require "redirect-dsn";
redirect :notify "NEVER,SUCCESS" "a@b.c";
