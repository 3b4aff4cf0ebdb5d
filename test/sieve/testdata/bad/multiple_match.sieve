if header :is :contains "a" "b" { keep; }
