require "body";
if body :contains "x" { keep; }
if body :raw :contains "y" { keep; }
if body :content ["text/plain","image"] :matches "*z*" { keep; }
if body :text :is "w" { keep; }
