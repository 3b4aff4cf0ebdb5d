if true {
keep;
header;
keep;
keep;
keep keep;
}
