if true { if false { if exists "x" { keep; } else { discard; } } }
