require "editheader";
addheader "X-A" "1";
addheader :last "X-B" "2";
deleteheader "X-C";
deleteheader :index 1 :last "X-D" "v";
deleteheader :matches "X-E" ["a*","b*"];
