package main

import (
	"bytes"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/message"
)

// display is Cyrus's spelling of a command name ("Select").
func display(name string) string {
	if name == "" {
		return ""
	}
	return name[:1] + lower(name[1:])
}

// msgPath is the file of message uid of an open mailbox.
func msgPath(mb *mailbox.Mailbox, uid uint32) string {
	loc := mb.Location()
	return loc.MessagePath(uid)
}

func encodeCache(c index.CacheEntry) []byte { return index.EncodeCacheEntry(c.Items) }

func (s *Server) openMailboxRO(e *mboxlist.Entry) (*mailbox.Mailbox, error) {
	return s.openMailbox(e, mailbox.ReadOnly)
}

// decodeEncodedWords decodes RFC 2047 encoded words with lib/message's
// charset decoders (Cyrus's names and ICU tables).
func decodeEncodedWords(v string) string {
	d := mime.WordDecoder{CharsetReader: func(charset string, in io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		return strings.NewReader(toUTF8(b, charset)), nil
	}}
	out, err := d.DecodeHeader(v)
	if err != nil {
		return v
	}
	return out
}

// vanishedSince returns the UIDs expunged since modseq (RFC 7162 3.2.5
// and 3.2.6, Cyrus index_vanished), limited to known UIDs when given,
// or nil when uidvalidity does not match or nothing can have vanished.
func (s *Session) vanishedSince(validity uint32, modseq uint64, known imap.NumSet, match *imapwire.QResyncSeqMatch) []uint32 {
	sel := s.sel
	h := sel.view.Header()
	if validity != h.UIDValidity || modseq >= h.HighestModSeq {
		return nil
	}
	in := func(uid uint32) bool {
		return known == nil || setContains(known, uid, h.LastUID)
	}
	var out []uint32
	if modseq >= h.DeletedModSeq {
		sel.mb.ForEachRecord(func(_ uint32, r *index.Record) error {
			if r.Expunged() && r.ModSeq > modseq && in(r.UID) {
				out = append(out, r.UID)
			}
			return nil
		})
		return out
	}
	// the expunged records may be gone: every UID in range without a
	// live record counts as vanished (skipping what the client's
	// sequence match proves it knows)
	prev := uint32(0)
	if match != nil {
		seqs := setRanges(match.SeqNums, sel.view.Len())
		uids := setRanges(match.UIDs, h.LastUID)
		var sq, uq []uint32
		for _, r := range seqs {
			for n := r[0]; n <= r[1] && n != 0; n++ {
				sq = append(sq, n)
			}
		}
		for _, r := range uids {
			for n := r[0]; n <= r[1] && n != 0; n++ {
				uq = append(uq, n)
			}
		}
		for i := 0; i < len(sq) && i < len(uq); i++ {
			if sel.view.UID(sq[i]) != uq[i] {
				break
			}
			prev = uq[i]
		}
	}
	sel.mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if r.Expunged() || r.UID <= prev {
			return nil
		}
		for prev++; prev < r.UID; prev++ {
			if in(prev) {
				out = append(out, prev)
			}
		}
		prev = r.UID
		return nil
	})
	for prev++; prev <= h.LastUID; prev++ {
		if in(prev) {
			out = append(out, prev)
		}
	}
	return out
}

// scanMailbox is Cyrus's SCAN test: does any message of the mailbox
// contain text (in its header or body)?
func (s *Session) scanMailbox(e *mboxlist.Entry, text string) bool {
	if !s.aclRights(e).Has(acl.Read) && !s.isAdmin {
		return false
	}
	mb, err := s.srv.openMailbox(e, mailbox.ReadOnly)
	if err != nil {
		return false
	}
	defer mb.Close()
	v, err := mb.NewView()
	if err != nil {
		return false
	}
	defer v.Close()
	prog := &imapwire.SearchKey{Op: imapwire.SearchText, Text: text}
	q := &searchQuery{Program: prog, View: v, Mailbox: mb,
		Seen: func(uint32) bool { return false }, Recent: func(uint32) bool { return false },
		MsgOpts: s.srv.msgopts}
	seqs, err := evaluateSearch(q)
	return err == nil && len(seqs) > 0
}

var _ = bytes.Equal
var _ = message.DecodeBody
