require "regex";
if header :regex "a" "[[:foo:]]" { keep; }
