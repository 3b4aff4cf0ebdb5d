require "regex";
if header :regex "a" "(a)\\1" { keep; }
