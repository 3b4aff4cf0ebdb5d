keep;

fileinto "x";
