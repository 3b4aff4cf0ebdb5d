if header :is "x" "a\"b\\c" { keep; }
if header :is "y" text:
line one
..dotted
.
{ discard; }
