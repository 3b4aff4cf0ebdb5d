require "vnd.cyrus.jmapquery";
if jmapquery text:
{"from":"a@b","subject":"x"}
.
{ keep; }
