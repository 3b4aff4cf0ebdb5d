if header :is "a" "1" { keep; } elsif header :is "a" "2" { discard; } elsif header :is "a" "3" {} else { stop; }
