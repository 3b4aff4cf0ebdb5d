require ["extlists"];
if header :list :list "from" "x" { keep; }
