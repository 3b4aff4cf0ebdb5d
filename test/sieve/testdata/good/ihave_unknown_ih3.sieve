require "ihave";
if ihave "foo" { foo }
keep;
