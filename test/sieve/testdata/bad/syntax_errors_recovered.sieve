if duplicate :uniqueid } { stop; "abc"
;
keep
