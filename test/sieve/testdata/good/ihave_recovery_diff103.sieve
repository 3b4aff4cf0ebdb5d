require "ihave";
if anyof(ihave "foo", foo "x") currentdate  { keep;}
 