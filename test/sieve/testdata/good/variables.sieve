require "variables";
set "a" "1";
set :lower :upperfirst "b" "${a}X";
set :length "c" "${b}";
set :quotewildcard "d" "*";
if string :is "${a}" "1" { keep; }
if string :matches ["${b}","z"] "*" { set "e" "${1}"; }
