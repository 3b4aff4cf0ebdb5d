// Package cyrusconf reads cyrus.conf, the file that tells master which
// programs to run (cyrus.conf(5); spec/config.md §A).
//
// The grammar is the one Cyrus 3.6.1's master/masterconf.c really
// implements, including its quirks, so that a file Cyrus accepts means the
// same thing here:
//
//   - The file is read as fgets(3) with a 4096-byte buffer reads it: a
//     physical line longer than 4095 bytes is split into several logical
//     lines, each counted in the line numbers. A NUL byte ends its line.
//   - Leading white space is skipped. Everything from the first '#'
//     anywhere on a line is a comment, even inside a quoted value.
//   - A section starts on a line whose first word is START, SERVICES,
//     EVENTS or DAEMON — the first letter exactly as written (upper case),
//     the rest in any case, not followed by a letter or digit — and whose
//     '{' brings the brace depth to 1. Entries on that same line are
//     ignored. The section ends at a line whose first non-blank character
//     is '}'. A '}' later on an entry line does not end it (it is a bad
//     character in an argument).
//   - Only the first occurrence of each section counts: the brace depth
//     never returns to 0 after a section has been read, so later sections
//     of the same name are skipped. Unknown sections are skipped.
//   - An entry is `name key=value key=value ...`. The name is ASCII letters
//     and digits, ended by white space or the end of the line; any other
//     character ends the file with "bad character 'c' in name". (A line
//     starting with such a character gives an entry with an empty name, as
//     in Cyrus; Validate reports it.)
//   - key is letters and digits (possibly none) directly followed by '='.
//     value is "..." (up to the next '"', no escapes, may hold spaces) or a
//     bare word up to the next white space. At most 64 arguments per entry.
//     For a repeated key the first occurrence wins; unknown keys are
//     ignored.
//   - Integers are read as C's atoi after checking that the value starts
//     with a digit or '-' and a digit (else the default applies); switches
//     read 0/n/f/"of" as false and 1/y/t/"on" as true, else the default.
//
// Lexical errors are returned by Parse and are fatal for master (exit
// EX_CONFIG). Entry-level problems that Cyrus reports later in master
// (missing cmd or listen, a name used twice across SERVICES and DAEMON)
// are kept in Config.Problems with their line, so that master can exit at
// start-up and only warn and skip the entry on SIGHUP, as Cyrus does.
//
// Differences from Cyrus, on purpose: Parse reads the whole file before
// anything runs (Cyrus runs START entries while still reading), an empty
// entry name, an empty command and a negative period are reported as
// problems, and every error carries file and line.
//
// The package does no I/O beyond Load reading the file, and holds no
// global state: it is safe for concurrent use.
package cyrusconf
