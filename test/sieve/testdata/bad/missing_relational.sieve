if header :value "gt"
 "a" "b" { keep; }
