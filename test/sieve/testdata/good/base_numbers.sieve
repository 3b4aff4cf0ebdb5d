if size :over 2147483647 { keep; }
if size :under 17 { keep; }
if size :over 3k { keep; }
if size :over 1048575K { keep; }
