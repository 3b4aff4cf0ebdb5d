require "ihave";
if ihave "variables" { keep; }
