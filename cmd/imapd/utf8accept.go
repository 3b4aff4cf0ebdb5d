package main

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"gyrus/lib/imapwire"
	"gyrus/lib/mboxname"
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
//   - a UTF-8 name must be Net-Unicode (RFC 6855 3, RFC 5198 2): no C0
//     or C1 control, DEL, U+2028 or U+2029; it is put in NFC before it
//     is looked up or created, so that two spellings of one name reach
//     one mailbox (netUnicodeName). The same holds for IMAP4rev2.
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

// netUnicodeName checks a mailbox name a UTF-8 client sent against RFC
// 6855 section 3 (Net-Unicode without controls and line or paragraph
// separators) and returns it in Unicode Normalization Form C.
func netUnicodeName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", fmt.Errorf("mailbox name %q is not UTF-8: %w", name, mboxname.ErrBadName)
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
			return "", fmt.Errorf("mailbox name %q holds U+%04X: %w", name, r, mboxname.ErrBadName)
		}
	}
	return norm.NFC.String(name), nil
}

// utf7Name is a UTF-8 client's name as a modified UTF-7 one (for the
// commands that parse names themselves, RENAME's new name).
func utf7Name(ext string) (string, error) {
	name, err := netUnicodeName(ext)
	if err != nil {
		return "", err
	}
	enc, err := mboxname.EncodeUTF7(name)
	if err != nil {
		return "", fmt.Errorf("%q: %v: %w", name, err, mboxname.ErrBadName)
	}
	return enc, nil
}

// clientName is a mailbox name as the client sent it, in the modified
// UTF-7 that names are parsed and stored in: a UTF-8 session's name is
// checked (netUnicodeName) and encoded, a rev1 session's name with raw
// UTF-8 is read as below (mixedName), any other name is already that.
func (s *Session) clientName(ext string) (string, error) {
	switch {
	case s.utf8:
		return utf7Name(ext)
	case hasHighBit(ext) && utf8.ValidString(ext):
		return mixedName(ext)
	}
	return ext, nil
}

// parseName is ParseExternal of the client's name (clientName).
func (s *Session) parseName(ext string) (mboxname.Name, error) {
	name, err := s.clientName(ext)
	if err != nil {
		return mboxname.Name{}, err
	}
	return s.srv.ns.ParseExternal(name, s.viewer())
}

// A client that has not enabled IMAP4rev2 or UTF8=ACCEPT may still send
// raw UTF-8 in a mailbox name: go-imap v2's imapclient does so as soon
// as the server advertises IMAP4rev2, keeping "&" escaped as modified
// UTF-7's "&-" and reading the answers as modified UTF-7. Modified UTF-7
// is 7-bit, so a name with 8-bit bytes that form valid UTF-8 has only
// one meaning: its non-ASCII characters are taken as UTF-8 and the rest
// as modified UTF-7. Cyrus 3.6.1 refuses such names, so no answer it
// gives to a valid name changes.

// hasHighBit reports whether s has a byte outside 7-bit ASCII.
func hasHighBit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// mixedName reads a rev1 session's name that holds raw UTF-8 (see
// above): Net-Unicode and NFC as a UTF-8 client's, then each run of
// non-ASCII characters encoded in modified UTF-7 beside the ASCII the
// client sent, which stays as it is.
func mixedName(ext string) (string, error) {
	name, err := netUnicodeName(ext)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 0; i < len(name); {
		if name[i] < 0x80 {
			b.WriteByte(name[i])
			i++
			continue
		}
		j := i
		for j < len(name) && name[j] >= 0x80 {
			j++
		}
		enc, err := mboxname.EncodeUTF7(name[i:j])
		if err != nil {
			return "", fmt.Errorf("%q: %v: %w", ext, err, mboxname.ErrBadName)
		}
		b.WriteString(enc)
		i = j
	}
	return b.String(), nil
}
