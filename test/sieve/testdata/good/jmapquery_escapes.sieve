require "vnd.cyrus.jmapquery";
if jmapquery text:
{"text":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \t\u0001"}
.
{ keep; }
