require "include";
include "a/b";
