// Package manpages holds the test that renders every man page of the
// repository (man/*.[1-8]) with man-db's `man --warnings -l` at 80
// columns and fails on any warning, so each page added later is checked
// too. It needs man-db and groff (Debian: apt-get install man-db
// groff-base) and skips, saying so, when `man` is missing.
package manpages
