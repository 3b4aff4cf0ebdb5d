require ["fileinto","special-use","mailboxid"];
fileinto :specialuse "\\Junk" :mailboxid "x" "y";
