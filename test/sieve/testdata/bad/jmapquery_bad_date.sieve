require "vnd.cyrus.jmapquery";
if jmapquery text:
{"before":"2024-13-02T03:04:05Z"}
.
{ keep; }
