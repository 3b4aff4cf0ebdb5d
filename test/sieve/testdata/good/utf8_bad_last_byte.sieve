require "variables";
set "a" "ÿ";
