require ["vacation","fcc","mailbox","imap4flags","special-use"];
vacation :fcc "INBOX.Sent" :create :flags "\\Seen" :specialuse "\\Sent" "away";
