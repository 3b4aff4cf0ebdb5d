require ["enotify","fcc"];
notify :fcc "INBOX.Sent" "mailto:a@b.c";
