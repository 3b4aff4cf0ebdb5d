require "include";
include "other";
include :global :once "g";
include :optional :personal "p";
return;
