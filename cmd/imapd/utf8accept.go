package main

import (
	"strings"

	"gyrus/lib/imapwire"
)

// UTF8=ACCEPT (RFC 6855). Offered, as in Cyrus's later releases, only
// when the server keeps 8-bit header bytes as they are (reject8bit: no
// and munge8bit: no; munge8bit defaults to yes, so by default it is not
// offered): a UTF-8 header must survive delivery and APPEND unchanged.
//
// After ENABLE UTF8=ACCEPT (RFC 6855 3):
//   - mailbox names are read and sent in UTF-8, not modified UTF-7
//     (the session's utf8 switch; names.go, list.go, mailboxes.go). A
//     name that is not valid UTF-8 is refused as a bad name.
//   - quoted strings may carry UTF-8 both ways (the parser always took
//     8-bit bytes in quoted strings; the writer quotes UTF-8 instead of
//     sending a literal: imapwire.Writer.SetUTF8).
//   - APPEND takes the "UTF8 (~{n}...)" form (RFC 6855 4): the parser's
//     ExtUTF8 grammar, turned on here; the message is stored as given
//     (append.go treats it as binary data, no 8-bit header munging).
//   - SEARCH: a CHARSET other than UTF-8 is refused with BAD (RFC 6855 3,
//     RFC 9755 3), and without CHARSET the strings are UTF-8.
//   - UTF8=ONLY (RFC 6855 6) is not offered: modified UTF-7 names stay
//     available to clients that did not enable UTF8=ACCEPT.
//   - RFC 6855 5 (LOGIN with UTF-8 user names and passwords): quoted
//     strings already carry any bytes; user names are compared as bytes.
//   - Messages with UTF-8 headers fetched by a client that did not
//     enable UTF8=ACCEPT (RFC 6855 7, down-conversion): NOT done, the
//     message is sent as stored. Known gap.

// utf8AcceptAllowed is whether UTF8=ACCEPT may be advertised and enabled
// (Cyrus: neither reject8bit nor munge8bit).
func (s *Server) utf8AcceptAllowed() bool {
	return !s.cfg.Reject8bit() && !s.cfg.Munge8bit()
}

// enableUTF8Accept turns UTF8=ACCEPT on (ENABLE UTF8=ACCEPT). It reports
// whether it was newly enabled.
func (s *Session) enableUTF8Accept() bool {
	if s.utf8Accept {
		return false
	}
	s.utf8Accept = true
	s.utf8 = true
	s.p.Enable("UTF8=ACCEPT")
	s.addedExt |= s.p.AddExt(imapwire.ExtUTF8)
	return true
}

// utf8SearchCharsetRefused is the BAD text for a SEARCH CHARSET other
// than UTF-8 in a UTF8=ACCEPT session, or "" when the charset is fine.
func (s *Session) utf8SearchCharsetRefused(charset string) string {
	if !s.utf8Accept || charset == "" {
		return ""
	}
	switch strings.ToUpper(charset) {
	case "UTF-8", "UTF8":
		return ""
	}
	return "Charset MUST be UTF-8 when using UTF8=ACCEPT"
}
