require "vacation-seconds";
vacation :seconds 1 "short";
vacation :days 200 "far";
