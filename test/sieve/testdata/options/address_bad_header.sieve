if address :is "a b" "x" { keep; }
