require "vnd.cyrus.snooze";
snooze ["25:00:00"];
