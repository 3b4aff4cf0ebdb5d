require "vnd.cyrus.jmapquery";
if jmapquery text:
{"language":"en","isHighPriority":true,"inMailboxOtherThan":["a","b"]}
.
{ keep; }
