"x";
keep;
keep;
keep keep;
