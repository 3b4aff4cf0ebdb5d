package main

import (
	"bytes"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/message"
	"gyrus/lib/seen"
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
	// "*" in the known UIDs is the UID of the last message, or UIDNEXT
	// when there is none (RFC 3501 seq-number; Cyrus index_vanished
	// parses them with _parse_sequence), not the last UID ever given:
	// an expunged last message is outside "1:*"
	star := h.LastUID + 1
	if n := sel.view.Len(); n > 0 {
		star = sel.view.Msg(n).UID
	}
	in := func(uid uint32) bool {
		return known == nil || setContains(known, uid, star)
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

// scanMailbox is Cyrus's SCAN test (list_response + index_scan): does a
// message of the mailbox contain text, compared as fgrep -i over the raw
// message? As in Cyrus 3.6.1, a mailbox other than the selected one is
// opened as for SELECT (its \Recent messages stop being recent for the
// user) and, by an inverted test there, is listed only when the user may
// NOT read it.
func (s *Session) scanMailbox(e *mboxlist.Entry, text string) bool {
	if sel := s.sel; sel != nil && !sel.gone && sel.name == e.Name {
		s.tellChanges(false)
		return scanView(sel.view, text)
	}
	mb, err := s.srv.openMailbox(e, mailbox.ReadWrite)
	if err != nil {
		return false
	}
	defer mb.Close()
	s.clearRecent(e, mb)
	if s.entryRights(e).Has(acl.Read) {
		return false
	}
	v, err := mb.NewView()
	if err != nil {
		return false
	}
	defer v.Close()
	return scanView(v, text)
}

// scanView is Cyrus's index_scan over a view.
func scanView(v *mailbox.View, text string) bool {
	if text == "" {
		return false
	}
	needle := []byte(strings.ToLower(text))
	for seq := uint32(1); seq <= v.Len(); seq++ {
		if v.Msg(seq).Expunged() {
			continue
		}
		f, err := v.OpenMessage(seq)
		if err != nil {
			continue
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			continue
		}
		// index_scan_work never matches at the very end of the data
		if len(b) > len(needle) && bytes.Contains(bytes.ToLower(b[:len(b)-1]), needle) {
			return true
		}
	}
	return false
}

// clearRecent makes the messages of a mailbox not \Recent for the user
// any more, as opening it read-write does in Cyrus.
func (s *Session) clearRecent(e *mboxlist.Entry, mb *mailbox.Mailbox) {
	h := mb.Header()
	owner := s.srv.ns.UserOf(e.Name)
	if h.Options&index.OptSharedSeen != 0 || owner == s.userid {
		if h.RecentUID >= h.LastUID {
			return
		}
		if tx, err := mb.Begin(); err == nil {
			tx.SetRecent(h.LastUID, uint32(time.Now().Unix()))
			tx.Commit()
		}
		return
	}
	db, err := seen.Open(s.srv.list.UserFileOf(s.userid, "seen"), s.srv.cfg.SeenstateDb(), true)
	if err != nil {
		return
	}
	defer db.Close()
	db.Modify(mb.MailboxHeader().UniqueID, func(sd *seen.Data) error {
		if sd.LastUID < h.LastUID {
			sd.LastUID = h.LastUID
		}
		return nil
	})
}

var _ = bytes.Equal
var _ = message.DecodeBody
