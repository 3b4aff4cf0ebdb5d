if header "a b" "c" { keep; }
