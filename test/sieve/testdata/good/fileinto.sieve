require "fileinto";
fileinto "INBOX.a";
fileinto "INBOX.été";
