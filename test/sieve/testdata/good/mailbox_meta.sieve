require ["mboxmetadata","servermetadata"];
if metadata :is "INBOX" "/private/comment" "x" { keep; }
if metadataexists "INBOX" ["/a","/b"] { keep; }
if servermetadata :contains "/shared/x" "y" { keep; }
if servermetadataexists "/shared/z" { keep; }
