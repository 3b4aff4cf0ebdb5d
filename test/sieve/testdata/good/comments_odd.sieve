/* a **/ keep; /* b */
#
keep;/**/discard;
