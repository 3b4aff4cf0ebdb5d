if size :over 2G { keep; }
if size :under 17 { keep; }
if size :over 3k { keep; }
