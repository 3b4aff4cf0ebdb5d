require "regex";
if header :regex "a" "[z-a]" { keep; }
