require "regex";
if header :regex "a" "a{2000}" { keep; }
