require ["fileinto",
 "foo", "bar"];
keep;
