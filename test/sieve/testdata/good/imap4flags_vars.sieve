require ["imap4flags","variables"];
setflag "myflags" "\\Seen x";
addflag "myflags" ["a"];
if hasflag "myflags" "a" { keep; }
