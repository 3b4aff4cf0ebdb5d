if true {
 keep;
