if true {
  frobnicate;
}
