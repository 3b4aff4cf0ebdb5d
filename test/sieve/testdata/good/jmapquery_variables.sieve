require ["vnd.cyrus.jmapquery","variables"];
set "a" "b";
if jmapquery "{\"from\":\"${a}\"}" { keep; }
