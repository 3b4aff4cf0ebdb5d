require "regex";
if header :regex "a" "a**" { keep; }
