require ["fileinto","vacation","variables"];
set "a" "b";
fileinto "${a}";
