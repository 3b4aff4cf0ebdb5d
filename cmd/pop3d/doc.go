// Command pop3d is Gyrus's POP3 server (pop3d(8)): RFC 1939 with CAPA
// (RFC 2449), STLS (RFC 2595), response codes (RFC 3206) and SASL AUTH
// (RFC 5034), answering like Cyrus IMAP 3.6.1's imap/pop3d.c, word for
// word: test/pop3 replays 67 sessions recorded from the real server.
// master starts it with the listening socket on fd 4; --listen runs it
// without master, -X on stdin/stdout (lib/service).
//
// Options (spec/tools.md §1.4): -s implicit TLS (pop3s), -p ssf an
// external security layer; Cyrus's -k (Kerberos 4 KPOP) is not offered.
//
// # Files
//
//	server.go    the process: imapd.conf, databases, SASL and TLS engines
//	session.go   one connection: greeting, command loop, shutdown checks
//	command.go   how a line becomes a command (Cyrus's cmdloop rules)
//	capa.go      CAPA, as a table in Cyrus's order
//	auth.go      USER, PASS, AUTH, canonicalization and authorization
//	sasl64.go    libsasl's base64 decoder, whose verdicts Cyrus reports
//	apop.go      APOP from Cyrus sasldb2 clear-text passwords
//	tls.go       STLS and the pop3s handshake
//	maildrop.go  opening the maildrop, popminpoll, QUIT's update
//	autocreate.go  creating a missing INBOX as Cyrus's pop3d does
//	retr.go      STAT, LIST, UIDL, RETR, TOP, DELE
//
// # Invariants
//
//   - A session belongs to one goroutine. Server fields are read-only
//     after NewServer, except the sasldb2 cache (apopStore.mu) and the
//     lazily opened deny list (Server.denyMu).
//   - The maildrop is opened at login and closed at the end of the
//     session (its name lock shared all along, so nobody repacks it); its
//     message list is read once under the shared index lock. There is no
//     exclusive maildrop lock, as in Cyrus 3.6: other POP3 and IMAP
//     sessions may use the mailbox meanwhile.
//   - Nothing changes in the mailbox before QUIT; QUIT makes one
//     transaction (exclusive namespace and index locks, lib/mailbox's
//     order): the POP3 login time, the expunges (\Deleted and EXPUNGED in
//     one record rewrite), \Seen with popuseimapflags. Its answer is +OK
//     even when that fails, as Cyrus's is; the failure is logged.
//   - No answer is written while an index lock is held; answers are
//     buffered and flushed before the session blocks for input, so
//     pipelined commands are answered together.
//   - A command line is at most 8191 bytes (the rest is the next command)
//     and a SASL response line at most 21848, as in Cyrus; a message is
//     streamed from its file, never read whole.
package main
