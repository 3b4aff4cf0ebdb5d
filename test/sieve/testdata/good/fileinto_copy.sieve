require ["fileinto","copy"];
fileinto :copy "x";
redirect :copy "a@b.c";
