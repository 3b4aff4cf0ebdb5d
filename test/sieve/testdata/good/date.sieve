require ["date","relational"];
if date :is "date" "year" "2024" { keep; }
if date :zone "+0100" :value "ge" "received" "hour" "09" { keep; }
if date :originalzone "date" "weekday" "0" { keep; }
if currentdate :is "month" "12" { discard; }
if currentdate :zone "-0500" :matches "iso8601" "2024*" { stop; }
