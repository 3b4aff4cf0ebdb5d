require "vnd.cyrus.jmapquery";
if jmapquery text:
{"bogus":1}
.
{ keep; }
