require "relational";
if header :count "gt" "a" "1" { keep; }
