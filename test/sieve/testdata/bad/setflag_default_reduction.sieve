require ["imap4flags"];
setflag "v" "\\Seen" x;
