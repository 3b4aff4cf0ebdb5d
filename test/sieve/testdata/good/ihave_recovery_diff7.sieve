require "ihave";
if anyof(ihave "foo", :header "X"  foo "x")keep;{   }
