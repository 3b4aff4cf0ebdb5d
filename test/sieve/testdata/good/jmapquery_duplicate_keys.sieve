require "vnd.cyrus.jmapquery";
if jmapquery text:
{"header":["X-Foo"],"header":["List-Id","x","contains"]}
.
{ keep; }
