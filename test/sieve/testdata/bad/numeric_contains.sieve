require "comparator-i;ascii-numeric";
if header :contains :comparator "i;ascii-numeric" "a" "1" { keep; }
