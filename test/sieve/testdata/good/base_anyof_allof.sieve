if anyof (true, false, exists "x") { keep; }
if allof (header :is "a" "b", not exists ["c","d"]) { discard; }
if not anyof (false) { stop; }
