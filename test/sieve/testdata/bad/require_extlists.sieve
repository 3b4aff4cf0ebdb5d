require "extlists";
