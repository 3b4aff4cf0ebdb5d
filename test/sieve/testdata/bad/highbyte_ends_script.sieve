require ["fileinto","reject","vacation","imap4flags","variables","relational","regex","copy","body","envelope","date","index","mailbox","subaddress","editheader","duplicate","include","enotify","comparator-i;ascii-numeric","special-use","mailboxid","fcc","redirect-dsn","redirect-deliverby","vnd.cyrus.snooze","vnd.cyrus.imip","vnd.cyrus.log","environment","mboxmetadata","servermetadata","vacation-seconds"];
keep;
 reject"abc
 "ÿ" 
