require "reject";
reject text: # comment after text
abc
..
...x
.
;
reject text:
.
;
