require "ihave";
if ihave "foo" { if not foo { keep; } }
