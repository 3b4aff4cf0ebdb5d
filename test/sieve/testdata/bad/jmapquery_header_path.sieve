require "vnd.cyrus.jmapquery";
if jmapquery text:
{"operator":"AND","conditions":[{"from":"x"},{"header":["a","","foo"]}]}
.
{ keep; }
