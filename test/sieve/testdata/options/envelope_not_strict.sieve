require "envelope";
if envelope :is ["CC","x-custom"] "a@b" { keep; }
