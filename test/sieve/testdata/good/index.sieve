require ["date","index"];
if date :index 2 "received" "day" "1" { keep; }
if date :index 1 :last "received" "day" "1" { keep; }
if header :index 3 "x" "y" { keep; }
if address :last :index 2 "to" "a@b" { keep; }
