if size :over 100K { discard; } elsif size :under 1M { keep; } else { stop; }
