require "vacation";
  "I am away";
 :detail vacation :days 10 "x";
vacation :days 1 :mime "x";
vacation :days  "10:00:00" 1000 "long";
