require "regex";
if header :regex "a" "a{2,1}" { keep; }
