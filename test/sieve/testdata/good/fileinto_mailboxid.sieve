require ["fileinto","mailboxid"];
fileinto :mailboxid "F12345" "INBOX.x";
if mailboxidexists "F1" { keep; }
