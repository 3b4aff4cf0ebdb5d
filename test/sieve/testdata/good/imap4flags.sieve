require ["imap4flags"];
setflag "\\Seen";
addflag ["\\Flagged","$Label1"];
removeflag "$Label1";
if hasflag :is "\\Seen" { keep; }
if hasflag :contains ["a","b"] { keep; }
