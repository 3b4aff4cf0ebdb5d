package main

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"gyrus/lib/imapwire"
	"gyrus/lib/mboxlist"
)

// IMAP4rev2 (RFC 9051). Gyrus advertises IMAP4rev2 beside IMAP4rev1, as
// Cyrus's later releases do; a client that does not send ENABLE IMAP4rev2
// is served exactly as Cyrus 3.6.1 serves an IMAP4rev1 client (the
// differential transcripts in test/imap hold that). Once a client has
// enabled it (RFC 9051 6.3.1), the session follows the rules that differ.
//
// RFC 9051 Appendix E, "Changes from RFC 3501", item by item, and what
// Gyrus does for a session with IMAP4rev2 enabled:
//
//   - Extensions folded into the base: NAMESPACE, UNSELECT, UIDPLUS,
//     ESEARCH, ENABLE, IDLE, SASL-IR, LIST-EXTENDED, LIST-STATUS, MOVE,
//     LITERAL-, BINARY (FETCH side), SPECIAL-USE attributes, RFC 5530
//     response codes: all were offered already (Cyrus 3.6.1 has them).
//     SEARCHRES (RFC 5182: RETURN (SAVE) and "$"), which Cyrus 3.6.1
//     lacks, is accepted once IMAP4rev2 is enabled (the parser's
//     ExtSearchRes bit; the saved result lives in Session.searchRes and
//     is pruned on expunge and dropped on SELECT, seqset.go, select.go).
//     The SEARCHRES capability itself is not advertised: a rev1 client
//     still gets Cyrus's BAD for "$".
//   - STATUS SIZE (RFC 8438) was offered; STATUS DELETED is accepted
//     once IMAP4rev2 is enabled (the parser's ExtStatusDeleted bit,
//     turned on by enableRev2; a rev1 client still gets Cyrus's BAD).
//   - SEARCH answers ESEARCH, never "* SEARCH" (rev2SearchReturn: no
//     RETURN options means RETURN (ALL), with the tag correlator and
//     the UID indicator for UID SEARCH; also when the search cannot run,
//     a FUZZY key without a search engine, where Cyrus 3.6.1 answers no
//     untagged response). SORT and THREAD keep their own
//     responses (they are extensions of their own).
//   - SEARCH's default charset is UTF-8 instead of US-ASCII (RFC 9051
//     6.4.4; searchCharset).
//   - RFC 2231 parameter continuations in BODYSTRUCTURE: as lib/message
//     decodes them for every client (unchanged).
//   - COPYUID for MOVE and UID MOVE: already sent (copy.go).
//   - Unsolicited FETCH responses carry UID (RFC 9051 7.5.2): printFlags
//     adds UID for a rev2 session.
//   - Unknown response codes are the client's business (nothing to do).
//   - SELECT/EXAMINE send an untagged LIST response with the mailbox's
//     attributes (rev2SelectList), after the OK codes.
//   - SELECT/EXAMINE send no "[UNSEEN n]" code (deprecated; clients use
//     STATUS UNSEEN, LIST-STATUS or SEARCH) and no "* n RECENT".
//   - \Recent is gone: not in FETCH FLAGS, and "* n RECENT" is never sent
//     (tellRecent). The server still keeps the per-user \Recent state, so
//     a rev1 session of the same user sees it as before; STATUS RECENT
//     and the RECENT/NEW/OLD search keys are still accepted (the RFC's
//     grammar dropped them, but a server may keep accepting them).
//     Cyrus's master branch keeps sending RECENT to rev2 clients; Gyrus
//     follows the RFC here.
//   - "* OK [CLOSED]" before the answers of a SELECT/EXAMINE that
//     replaces a selected mailbox: already sent to every client, as
//     Cyrus 3.6.1 does (select.go).
//   - Mailbox names are UTF-8, not modified UTF-7: a rev2 session reads
//     and writes names as UTF-8 (the session's utf8 switch, shared with
//     UTF8=ACCEPT, names.go; lib/mboxname's ParseExternalUTF8 and
//     ExternalUTF8), Net-Unicode checked and put in NFC first
//     (utf8accept.go netUnicodeName). Names stay stored in modified
//     UTF-7, as Cyrus stores them, so rev1 and rev2 clients share them.
//   - CHECK removed: still accepted (a server may; Cyrus does).
//   - RFC822, RFC822.HEADER, RFC822.TEXT deprecated: still served.
//   - LSUB deprecated: still served, LIST (SUBSCRIBED) is there.
//   - IDLE may report changes outside the selected mailbox (NOTIFY-like
//     STATUS/LIST during IDLE): NOT done, IDLE reports the selected
//     mailbox only. Known gap.
//   - The ENABLED response is sent even when nothing new was enabled
//     (6.3.1): done once the session has IMAP4rev2 (a rev1 client keeps
//     Cyrus 3.6.1's silence).
//   - APPEND accepts literal8 (~{n}): already, through BINARY.
//   - LIST: with IMAP4rev2, LIST-EXTENDED is the base LIST, so a mailbox
//     that does not exist but has children is \NonExistent (which
//     implies \Noselect) in every LIST, not \Noselect; CHILDREN info
//     (\HasChildren/\HasNoChildren) is always returned, \Subscribed on
//     RETURN (SUBSCRIBED) or SELECT (SUBSCRIBED), as before.
//   - OLDNAME (RFC 9051 6.3.2, 6.3.4-6.3.6): Gyrus accepts names that
//     are not in NFC (it normalizes them), so when SELECT, EXAMINE,
//     CREATE, DELETE or RENAME is given such a name, a LIST response
//     with the normalized name and OLDNAME (the name as given) is sent
//     (rev2OldName). OLDNAME for mailboxes renamed earlier (Cyrus keeps
//     a name history) is NOT done.
//   - NAMESPACE and ID: served as for rev1.
//   - The $Forwarded, $MDNSent, $Junk, $NotJunk, $Phishing keywords:
//     keywords are stored as the client names them; nothing special.
//   - Implicit TLS (port 993) and STARTTLS: as before (imapd -s).

// rev2Grammar is the parser grammar an IMAP4rev2 session adds to Cyrus
// 3.6.1's: STATUS DELETED and SEARCHRES. APPEND's "UTF8 (...)" item is
// RFC 6855's, not RFC 9051's: it needs ENABLE UTF8=ACCEPT (as in Cyrus's
// later releases); a rev2 APPEND takes literal8 (~{n}) through BINARY.
const rev2Grammar = imapwire.ExtStatusDeleted | imapwire.ExtSearchRes

// enableRev2 turns IMAP4rev2 on for the session (ENABLE IMAP4rev2). It
// reports whether it was newly enabled.
func (s *Session) enableRev2() bool {
	if s.rev2 {
		return false
	}
	s.rev2 = true
	s.utf8 = true
	s.p.Enable("IMAP4REV2")
	s.addedExt |= s.p.AddExt(rev2Grammar)
	return true
}

// resetEnabled forgets what ENABLE turned on (RFC 8437 UNAUTHENTICATE:
// the session returns to the state of a new connection).
func (s *Session) resetEnabled() {
	s.rev2, s.utf8Accept, s.utf8 = false, false, false
	s.p.ResetEnabled(s.addedExt)
	s.addedExt = 0
	s.searchRes = nil
}

// tellRecent writes "* n RECENT" for a rev1 session; RFC 9051 removed
// the response.
func (s *Session) tellRecent(n uint32) {
	if !s.rev2 {
		s.wr().Recent(n)
	}
}

// rev2SearchReturn is the RETURN options SEARCH is answered with: for a
// rev2 session without RETURN, RETURN (ALL), so that the answer is an
// ESEARCH response (RFC 9051 6.4.4: "* SEARCH" is not an IMAP4rev2
// response).
func (s *Session) rev2SearchReturn(r *imapwire.SearchReturn) *imapwire.SearchReturn {
	if r != nil || !s.rev2 {
		return r
	}
	r = &imapwire.SearchReturn{}
	r.ReturnAll = true
	return r
}

// searchCharset is the charset SEARCH strings are read in: the client's
// CHARSET, else UTF-8 (RFC 9051 6.4.4, RFC 6855 3). Cyrus 3.6.1 reads a
// rev1 session's strings as US-ASCII, which UTF-8 extends: a 7-bit
// string matches the same, and an 8-bit one that Cyrus matches nowhere
// is read as the UTF-8 a client means by it (go-imap v2's imapclient
// sends non-ASCII criteria without CHARSET once IMAP4rev2 is offered).
func (s *Session) searchCharset(given string) string {
	if given == "" {
		return "UTF-8"
	}
	return given
}

// rev2SelectList writes the untagged LIST response RFC 9051 6.3.2
// requires in SELECT/EXAMINE's answer: the mailbox's name as the client
// sees it, its delimiter and attributes (children, special use).
func (s *Session) rev2SelectList() {
	if !s.rev2 || s.sel == nil {
		return
	}
	e, err := s.srv.list.Lookup(s.sel.name)
	if err != nil {
		return
	}
	ext, ok := s.externalName(s.sel.name)
	if !ok {
		return
	}
	// children as LIST finds them (for the alternate namespace's INBOX
	// too, whose children LIST counts while it walks)
	attrs := uint32(attrHasNoChildren)
	s.srv.list.Tree(e.Name, mboxlist.SkipRoot, func(*mboxlist.Entry) error {
		attrs = attrHasChildren
		return mboxlist.ErrStop
	})
	if denormalized(s.selTyped) {
		// RFC 9051 6.3.2: the name as given differs from its NFC form
		s.rev2OldName(s.selTyped, s.sel.name, nil)
		return
	}
	ls := &listState{s: s, a: &listArgs{cmd: "LIST", extended: true, retChild: true, retSpecial: true}}
	ls.response(ext, e, attrs)
}

// enableName is the spelling of an ENABLE argument Gyrus knows, "" for
// others.
func enableName(c string) string {
	switch strings.ToUpper(c) {
	case "IMAP4REV2":
		return "IMAP4rev2"
	case "UTF8=ACCEPT":
		return "UTF8=ACCEPT"
	}
	return ""
}

// denormalized reports whether a mailbox name as a client typed it is
// valid UTF-8 that is not in NFC (RFC 9051 5.1).
func denormalized(typed string) bool {
	return utf8.ValidString(typed) && !norm.NFC.IsNormalString(typed)
}

// rev2OldName writes, for a rev2 session that named a mailbox in a form
// other than NFC, the LIST response with the OLDNAME extended item that
// RFC 9051 requires (6.3.2 SELECT, 6.3.4 CREATE, 6.3.5 DELETE, 6.3.6
// RENAME): the normalized name, attrs, and the name as given. intname,
// when known, gives the normalized name as the server spells it.
func (s *Session) rev2OldName(typed, intname string, attrs []string) {
	if !s.rev2 || !denormalized(typed) {
		return
	}
	sep := s.srv.ns.Sep()
	typed = strings.TrimSuffix(typed, string(sep))
	ext := norm.NFC.String(typed)
	if intname != "" {
		if e, ok := s.externalName(intname); ok {
			ext = e
		}
	}
	s.wr().List(&imapwire.ListResponse{Command: "LIST", Attrs: attrs, Delim: sep, Mailbox: ext, OldName: typed})
}
