require ["extlists","variables","envelope"];
if header :list "from" "urn:ietf:params:sieve:addrbook:default" { keep; }
if valid_ext_list ["urn:ietf:params:sieve:addrbook:default"] { keep; }
if envelope :list "from" "x" { keep; }
if string :list "${a}" "y" { keep; }
