// Package common holds what Gyrus's server benchmarks (bench/imap,
// bench/lmtp, bench/pop3) share: starting Gyrus, the real Cyrus 3.6.1
// and the real Dovecot 2.3 side by side on free loopback ports
// (StartGyrus, StartCyrus, StartDovecot), stopping them on every path
// out of the program including Ctrl-C (Exit, OnExit), a deterministic
// corpus of realistic messages (Corpus), the proportional set size of a
// process tree (TreePSS), small statistics (Stats) and the machine facts
// a results file should carry (Machine).
//
// Invariants:
//   - Every server started here is registered with OnExit before its
//     start command runs, so Exit (called by main on every path, and by
//     the signal handler) stops it; a stop checks by pid that master and
//     every process seen under it are gone, and kills what is left.
//   - The corpus is a pure function of (seed, index): message i is the
//     same bytes in every run and whatever order messages are made in.
//   - Nothing here listens anywhere but 127.0.0.1.
//
// Gyrus is started through gyrus/test/harness, which wants a
// testing.TB; TB is a minimal one for a program: Fatal unwinds to the
// nearest Catch, Cleanup functions run at Exit.
package common
