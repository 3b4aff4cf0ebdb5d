require ["variables","enotify","regex"];
set :lower :lowerfirst :quotewildcard :encodeurl :length "v" "x";
set :upper :upperfirst :quoteregex "w" "y";
