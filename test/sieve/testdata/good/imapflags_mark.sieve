require "imapflags";
mark;
unmark;
