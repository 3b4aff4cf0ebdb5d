require "envelope";
if envelope :all :is "From" "a@b.c" { keep; }
if envelope :domain "TO" "example.com" { discard; }
