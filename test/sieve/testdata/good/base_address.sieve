if address :localpart :is "from" "joe" { keep; }
if address :domain ["To","Cc"] "example.com" { discard; }
if address :all :comparator "i;ascii-casemap" :matches "From" "*@x" { stop; }
