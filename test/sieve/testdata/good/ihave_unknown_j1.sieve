require "ihave";
if ihave "foo" { if anyof(true, foo) { keep; } }
