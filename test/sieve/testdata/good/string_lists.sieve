if header :is ["a","b","c","d","e","f","g"] ["1","2","3","4","5","6","7","8","9","10"] { keep; }
if exists ["x"] { keep; }
