if true {} else {}
if false { keep; } else {}
