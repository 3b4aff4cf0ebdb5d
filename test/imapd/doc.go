// Package imapd checks Gyrus's imapd from the outside, as mail users'
// programs see it: a private master (gyrus/test/harness) on free
// loopback ports, a mailbox of thousands of generated messages
// (bench/common.Corpus, so every expected answer is computed from the
// corpus, never written down), and independent clients that share no
// code with the server:
//
//   - go-imap v2's imapclient (session_test.go): sync, flags, MOVE,
//     UID SEARCH, IDLE woken by an LMTP delivery;
//   - Python's imaplib (python_test.go, testdata/session.py), the same
//     kind of session, its findings printed as JSON and checked here;
//   - STARTTLS and imaps (tls_test.go) with a self-signed certificate
//     made by the test.
//
// TestSessionsOnCyrus runs both sessions, with the same checks, on the
// real Cyrus 3.6.1 (harness.StartOracle; 300 messages): the checks are
// Cyrus's behaviour. It is skipped with -short, or where the oracle
// cannot run (not root).
//
// Invariants the tests rely on:
//   - the mailbox is loaded by one MULTIAPPEND per batch by its owner
//     (helpers_test.go), in corpus order, so message i has UID i+1 and the
//     corpus's Date as internal date;
//   - each test starts its own instance; nothing is shared between tests
//     but the built programs (harness.Main);
//   - GYRUS_IMAPD_E2E_N sets the mailbox size (default 5,000, the size
//     of issue #7); smaller values make a quick run.
//
// No locks: each client belongs to one goroutine, except the IDLE
// watcher, which only sends on a channel.
package imapd
