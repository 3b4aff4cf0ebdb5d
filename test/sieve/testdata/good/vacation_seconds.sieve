require "vacation-seconds";
vacation :seconds 3600 "hour";
vacation :seconds 300000 "more";
