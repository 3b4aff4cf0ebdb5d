if address :is ["from","Sender","RESENT-TO","delivered-to"] "x@y" { keep; }
