require "duplicate";
if duplicate { discard; }
if duplicate :header "X-Id" :handle "h" :seconds 60 :last { keep; }
if duplicate :uniqueid "abc" { stop; }
