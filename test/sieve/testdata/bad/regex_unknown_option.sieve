require "regex";
if header :regex "a" "(?z)" { keep; }
