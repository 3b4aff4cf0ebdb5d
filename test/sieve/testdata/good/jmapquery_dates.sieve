require "vnd.cyrus.jmapquery";
if jmapquery text:
{"before":"2024-01-02T03:04:05Z","after":"2024-01-02T03:04:05.123Z"}
.
{ keep; }
