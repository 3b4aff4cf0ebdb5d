if address :is ["subject","X-Foo"] "a@b" { keep; }
