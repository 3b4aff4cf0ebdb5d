require ["fileinto","imap4flags"];
fileinto :flags ["\\Seen", "\\FLAGGED $Junk", "bad(flag", "$junk"] "x";
keep :flags "\\Deleted";
keep :flags "\\Unknown";
