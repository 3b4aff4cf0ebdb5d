require "vnd.cyrus.jmapquery";
if jmapquery text:
{"a":
.
{ keep; }
