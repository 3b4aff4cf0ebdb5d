require "regex";
if header :regex "a" "a(b" { keep; }
