// Command timsieved is Gyrus's ManageSieve server (timsieved(8), RFC
// 5804): users upload, check, list, activate, rename and delete their
// Sieve scripts. It answers like Cyrus IMAP 3.6.1's timsieved, word for
// word, errors included: test/timsieved replays the same sessions
// against the real server and compares. master starts it with the
// listening socket on fd 4; --listen runs it without master, -X on
// stdin/stdout (lib/service). It has no options of its own.
//
// # Files
//
//	server.go   the process: imapd.conf, mailboxes.db, SASL and TLS engines
//	session.go  one connection: the command loop and the argument grammar
//	lex.go      the tokenizer, with Cyrus's error recovery and limits
//	capa.go     the capability list (greeting, CAPABILITY, after STARTTLS)
//	auth.go     AUTHENTICATE, canonicalization, authorization
//	tls.go      STARTTLS
//	scripts.go  PUTSCRIPT, CHECKSCRIPT, GETSCRIPT, LISTSCRIPTS, SETACTIVE,
//	            DELETESCRIPT, RENAMESCRIPT, HAVESPACE
//
// Scripts are compiled by lib/sieve and stored by lib/sievedir in the
// user's sievedir directory (the source, the bytecode, and defaultbc for
// the active one), where lmtpd finds them.
//
// # Invariants
//
//   - A session belongs to one goroutine; Server fields are read-only
//     after NewServer, except the lazily opened deny list (denyMu).
//   - Memory per session is bounded by sieve_maxscriptsize: a literal is
//     checked against it before anything is read, a larger one is
//     discarded as it arrives; atoms and quoted strings stop there too.
//   - An OK to PUTSCRIPT, SETACTIVE, RENAMESCRIPT or DELETESCRIPT means
//     the change is on disk (lib/sievedir syncs files and directory).
//   - Answers are buffered and flushed before the session waits for
//     input; each wait is bounded by the timeout key (at least 10
//     minutes). At the end of input the session says BYE and ends.
//   - A malformed command is answered NO with a reason and the session
//     goes on; as in Cyrus, the rest of the line is skipped only after a
//     lexical error, so some bad lines get more than one NO.
package main
