package main

import (
	"gyrus/lib/imapwire"
)

// UIDONLY (RFC 9586), which Cyrus 3.6.1 lacks: a client that sends
// ENABLE UIDONLY promises never to use message sequence numbers again in
// the connection, and the server stops sending them.
//
//   - COPY, FETCH, MOVE, REPLACE, SEARCH, SORT, STORE and THREAD without
//     the UID prefix (and XMOVE, Cyrus's MOVE) are refused with
//     "BAD [UIDREQUIRED]" before their arguments are read (RFC 9586 3.2,
//     the text later Cyrus releases use); so is a sequence set used as a
//     search key of UID SEARCH/SORT/THREAD, and the sequence match data of
//     SELECT (QRESYNC ...) (RFC 9586 3.5).
//   - FETCH responses, solicited or not, are "* uid UIDFETCH (...)"
//     without the UID attribute (RFC 9586 3.3; uidFetchStart).
//   - Expunges are reported as "* VANISHED uid-set", as with QRESYNC
//     (RFC 9586 3.4; select.go tellExpunges).
//   - EXISTS still gives the number of messages; SEARCH and ESEARCH
//     answers of UID commands carry UIDs as always.
//
// UNAUTHENTICATE forgets it with the other enabled extensions.

// uidOnlyRefused are the commands that take message numbers unless
// prefixed with UID.
var uidOnlyRefused = map[string]bool{
	"COPY": true, "FETCH": true, "MOVE": true, "XMOVE": true, "REPLACE": true,
	"SEARCH": true, "SORT": true, "STORE": true, "THREAD": true,
}

// errUIDRequired is the answer to a command that uses message numbers
// after ENABLE UIDONLY; name is the command as Cyrus spells it ("Fetch").
func errUIDRequired(tag, name string) *imapwire.Error {
	return &imapwire.Error{Tag: tag, Status: imapwire.StatusBAD, Code: "UIDREQUIRED",
		Text: "Message numbers are not allowed in " + name + " after UIDONLY is enabled"}
}

// uidOnlyGate refuses, from the Gate, a command without UID that takes
// message numbers (nil when UIDONLY is off or the command is fine).
func (s *Session) uidOnlyGate(h imapwire.Header) error {
	if !s.uidonly || h.UID || !uidOnlyRefused[h.Name] {
		return nil
	}
	return errUIDRequired(h.Tag, h.Name[:1]+lower(h.Name[1:]))
}

// uidOnlyRefuse checks a parsed command for message numbers in its
// arguments (a sequence-set search key, QRESYNC's sequence match data)
// and answers BAD [UIDREQUIRED]; it reports whether it did.
func (s *Session) uidOnlyRefuse(cmd *imapwire.Command) bool {
	if !s.uidonly {
		return false
	}
	var prog *imapwire.SearchKey
	switch a := cmd.Args.(type) {
	case *imapwire.Search:
		prog = a.Program
	case *imapwire.Sort:
		prog = a.Program
	case *imapwire.Thread:
		prog = a.Program
	case *imapwire.Select:
		if a.QResync != nil && a.QResync.SeqMatch != nil {
			s.wr().WriteError(errUIDRequired(cmd.Tag, cmd.Name[:1]+lower(cmd.Name[1:])))
			return true
		}
	}
	if prog != nil && usesSeqSet(prog) {
		s.wr().WriteError(errUIDRequired(cmd.Tag, cmd.Name[:1]+lower(cmd.Name[1:])))
		return true
	}
	return false
}

// usesSeqSet reports a message-number set anywhere in a search program.
func usesSeqSet(k *imapwire.SearchKey) bool {
	if k.Op == imapwire.SearchSeq {
		return true
	}
	for _, c := range k.Keys {
		if usesSeqSet(c) {
			return true
		}
	}
	return false
}

// enableUIDOnly is ENABLE UIDONLY; it reports whether the extension was
// newly enabled (and so goes into the ENABLED response).
func (s *Session) enableUIDOnly() bool {
	if s.uidonly || !s.hasCap("UIDONLY") {
		return false
	}
	s.uidonly = true
	return true
}

// fetchStart begins a FETCH response for message seq (UID uid): "* seq
// FETCH (", or under UIDONLY "* uid UIDFETCH (".
func (s *Session) fetchStart(seq, uid uint32) *imapwire.FetchWriter {
	if s.uidonly {
		return s.wr().UIDFetch(uid)
	}
	return s.wr().Fetch(seq)
}
