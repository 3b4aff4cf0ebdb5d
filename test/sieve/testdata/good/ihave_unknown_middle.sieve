require "ihave";
if ihave "foo" { keep; foo; discard; }
