require "ihave";
