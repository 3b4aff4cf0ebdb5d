require "vnd.cyrus.jmapquery";
if jmapquery text:
{ "operator" : "OR", "conditions" : [ {"hasKeyword":"$seen"}, {"minSize": 10, "maxSize": 2000} ] }
.
{ keep; }
