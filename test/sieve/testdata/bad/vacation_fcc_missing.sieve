require ["vacation","mailbox"];
vacation :create "x";
