require "vacation";
vacation "I am away";
vacation :days 10 :subject "Away" :from "me@example.com" :addresses ["a@b.c","d@e.f"] :handle "h1" "msg";
vacation :days 1 :mime "Content-Type: text/plain\r\n\r\nx";
vacation :days 1000 "long";
