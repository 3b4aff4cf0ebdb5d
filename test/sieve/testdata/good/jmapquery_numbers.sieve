require "vnd.cyrus.jmapquery";
if jmapquery text:
{"operator":"AND","conditions":[{}],"r":[1.0,0.1,1e20,-0.0,2.5e-7,1e-300,123456789012345678,1E+2,3.14159,-1e-5,5e-324,"\u001f\u007f/"],"r":2,"s":{"a":1,"a":[]}}
.
{ keep; }
