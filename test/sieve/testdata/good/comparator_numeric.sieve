require "comparator-i;ascii-numeric";
if header :is :comparator "i;ascii-numeric" "x-n" "10" { keep; }
