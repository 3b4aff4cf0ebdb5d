if header :is ["Subject","X-Foo"] ["a","b"] { keep; }
if header :matches "subject" "*x?" { discard; }
if header :contains :comparator "i;octet" "to" "me" { stop; }
