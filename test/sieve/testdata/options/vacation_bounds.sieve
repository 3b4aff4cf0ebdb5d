require "vacation-seconds";
vacation :seconds 60 "a";
vacation :days 1 "b";
vacation :days 30 "c";
vacation "d";
