require ["fileinto","mailbox"];
fileinto :create "INBOX.new";
if mailboxexists ["INBOX.a","INBOX.b"] { keep; }
