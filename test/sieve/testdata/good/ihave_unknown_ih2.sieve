require "ihave";
if ihave "spamtest" {
  if spamtest :value "ge" "3" { discard; }
}
keep;
