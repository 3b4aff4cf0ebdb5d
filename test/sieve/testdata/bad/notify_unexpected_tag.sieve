require "enotify";
notify :id "x" "mailto:a@b";
