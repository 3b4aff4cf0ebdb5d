require ["subaddress","envelope"];
if address :user "to" "joe" { keep; }
if envelope :detail "to" "spam" { discard; }
