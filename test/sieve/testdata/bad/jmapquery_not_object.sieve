require "vnd.cyrus.jmapquery";
if jmapquery text:
[1,2]
.
{ keep; }
