require ["fileinto","reject"];
reject "日本";
fileinto "😀";
