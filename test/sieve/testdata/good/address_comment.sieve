redirect "(c) a@b";
