keep;
};
keep;
keep;
keep keep;
