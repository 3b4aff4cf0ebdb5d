require ["reject","ereject"];
if size :over 1M { reject "too big"; }
ereject text:
no thanks
.
;
