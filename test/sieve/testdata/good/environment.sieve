require "environment";
if environment :is "domain" "example.com" { keep; }
if environment :contains "name" ["cyrus","imap"] { keep; }
