require "ihave";
if ihave "fileinto" { fileinto "x"; }
if ihave ["nonexistent-ext"] { keep; }
if ihave "vacation" { vacation "x"; } else { error "no vacation"; }
