// Package lmtp is LMTP (RFC 2033) as Cyrus 3.6.1 speaks it: the server
// engine of lmtpd (Cyrus imap/lmtpengine.c lmtpmode, spool.c) and the
// client of deliver(8) (lmtp_runtxn, pushmsg).
//
// The server answers exactly as Cyrus does: the same greeting and LHLO
// extension list (8BITMIME, ENHANCEDSTATUSCODES, PIPELINING, SIZE,
// STARTTLS, AUTH, IGNOREQUOTA), the same reply texts, the same reading
// of paths and parameters (parseAddr, parseAuthEq: source routes,
// quoted local parts, AUTH= xtext decoded as Cyrus's buggy decoder
// does), and the same message file: Return-Path, Received (folded as
// Cyrus folds it), X-Cyrus-Session-Id and X-Sieve first, then the
// header read byte by byte (spool.go), Message-ID and Date added when
// missing, then the body with dot-stuffing undone, line ends made CRLF,
// lone CRs removed and NUL refused, in Cyrus's 8190-byte pieces. Errors
// map to replies in one place (reply.go), including Cyrus's bitwise OR
// of a header error with a body error.
//
// go-smtp (required by DESIGN.md §5) is not used for the server: its
// greeting, LHLO reply, MAIL/RCPT replies and syntax errors are its own
// texts, it refuses RCPT parameters it does not know (IGNOREQUOTA), and
// its DATA reader does not end lines at a bare LF as Cyrus does, so it
// cannot give Cyrus's replies nor its files. Nor for deliver's client,
// which must send IGNOREQUOTA. The tests and the benchmark use
// go-smtp's client.
//
// Invariants: a session is one goroutine; it writes only after reading
// a whole command (replies to pipelined commands go out in one write,
// flushed when the input runs dry); the message is streamed into the
// staging file, never held in memory (only its header fields are, as in
// Cyrus); a message that is refused or cut short leaves no file.
package lmtp
