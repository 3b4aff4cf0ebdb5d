require ["variables","fileinto"];
if header :matches "Subject" "[*] *" { fileinto "INBOX.${1}"; set :upper "x" "${2}"; }
