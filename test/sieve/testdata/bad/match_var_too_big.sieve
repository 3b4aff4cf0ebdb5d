require "variables";
set "a" "${10}";
