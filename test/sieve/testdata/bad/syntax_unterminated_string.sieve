keep;
reject "abc
