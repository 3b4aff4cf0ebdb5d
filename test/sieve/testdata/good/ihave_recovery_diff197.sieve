require "ihave";
if ihave "foo" { foo "a" "b"; } else  true { keep; }
