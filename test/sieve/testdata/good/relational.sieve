require ["relational","comparator-i;ascii-numeric"];
if header :count "ge" :comparator "i;ascii-numeric" "to" "3" { keep; }
if header :value "lt" "x-priority" "3" { discard; }
if address :count "eq" :comparator "i;ascii-numeric" ["to","cc"] "1" { stop; }
