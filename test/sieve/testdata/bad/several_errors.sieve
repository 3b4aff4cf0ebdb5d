fileinto "a";
reject "b";
vacation "c";
