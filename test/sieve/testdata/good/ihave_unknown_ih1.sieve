require "ihave";
if ihave "spamtest" {
  spamtest :value "ge" "3";
  keep;
}
