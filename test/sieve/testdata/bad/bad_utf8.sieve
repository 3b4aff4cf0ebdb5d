require "reject";
reject "ÿş";
