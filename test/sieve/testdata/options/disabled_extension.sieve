require ["fileinto","body"];
if body :contains "x" { fileinto "y"; }
