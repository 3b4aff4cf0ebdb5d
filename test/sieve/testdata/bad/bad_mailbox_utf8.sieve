require "fileinto";
fileinto "Ã";
