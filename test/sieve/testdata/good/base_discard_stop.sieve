discard;
stop;
