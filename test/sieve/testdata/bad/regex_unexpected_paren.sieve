require "regex";
if header :regex "a" ")" { keep; }
