require "relational";
if header :count "xx" "a" "b" { keep; }
