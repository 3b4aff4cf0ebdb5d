require "notify";
notify :method "mailto" :id "i" :high;
notify :low :message "m";
denotify;
denotify :is "i" :normal;
