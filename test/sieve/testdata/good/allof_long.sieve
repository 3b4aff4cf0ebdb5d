if allof (true, true, true, anyof(false, false, true), not false) { keep; } elsif anyof(exists "a", exists "b") { discard; } elsif true { stop; }
