# a comment
/* a bracketed
   comment */ keep; # trailing
