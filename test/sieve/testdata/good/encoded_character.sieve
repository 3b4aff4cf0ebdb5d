require "encoded-character";
if header :is "x" "${hex:41 42}${unicode:263A}${hex:zz}${hex:414}${unicode: 41 e9 }" { keep; }
