require ["enotify","variables"];
notify :message "hi" :importance "1" :from "me@x.y" :options ["a","b"] "mailto:a@b.c";
if valid_notify_method "mailto:x@y" { keep; }
if notify_method_capability "mailto:x@y" "online" "yes" { keep; }
set :encodeurl "u" "a b";
