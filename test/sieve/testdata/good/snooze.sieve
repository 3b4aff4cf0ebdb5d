require ["vnd.cyrus.snooze","imap4flags","mailbox"];
snooze "09:00:00";
snooze :mailbox "Snoozed" :create :addflags "$S" :removeflags ["\\Seen"] :weekdays ["1","2","5"] :tzid "Europe/Paris" ["18:30:00","7:5:3"];
