require ["regex","variables"];
if header :regex "subject" "^re: (.*)$" { keep; }
if header :regex :comparator "i;octet" "x" "a[bc]+" { keep; }
set :quoteregex "q" "a.b";
