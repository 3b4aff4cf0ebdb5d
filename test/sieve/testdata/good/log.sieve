require "vnd.cyrus.log";
log "hello";
