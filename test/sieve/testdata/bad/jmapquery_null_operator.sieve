require "vnd.cyrus.jmapquery";
if jmapquery text:
{"operator":null}
.
{ keep; }
