package main

import (
	"net/url"
	"strconv"
	"strings"

	"gyrus/lib/acl"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/message"
)

// imapURL is the part of an RFC 5092 IMAP URL that CATENATE uses:
// "[/mailbox[;UIDVALIDITY=n]]/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]".
type imapURL struct {
	server      bool
	mailbox     string
	uidValidity uint32
	uid         uint32
	section     string
	partial     bool
	start, n    uint32
}

// parseIMAPURL reads an IMAP URL; ok is false when it is malformed.
func parseIMAPURL(s string) (u imapURL, ok bool) {
	rest := s
	if strings.HasPrefix(strings.ToLower(rest), "imap://") {
		u.server = true
		rest = rest[len("imap://"):]
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return u, false
		}
		rest = rest[i:]
	} else if !strings.HasPrefix(rest, "/") {
		// Cyrus imapurl_fromURL: a relative URL's leading '/' is optional
		rest = "/" + rest
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		if i == 0 && p == "" {
			continue
		}
		if p == "" {
			continue
		}
		if p[0] != ';' {
			if u.mailbox != "" || i != 1 {
				return u, false
			}
			box := p
			if j := strings.Index(strings.ToUpper(box), ";UIDVALIDITY="); j >= 0 {
				v, err := strconv.ParseUint(box[j+len(";UIDVALIDITY="):], 10, 32)
				if err != nil {
					return u, false
				}
				u.uidValidity = uint32(v)
				box = box[:j]
			}
			dec, err := url.PathUnescape(box)
			if err != nil {
				return u, false
			}
			u.mailbox = dec
			continue
		}
		key, val, found := strings.Cut(p[1:], "=")
		if !found {
			return u, false
		}
		switch strings.ToUpper(key) {
		case "UID":
			v, err := strconv.ParseUint(val, 10, 32)
			if err != nil || v == 0 {
				return u, false
			}
			u.uid = uint32(v)
		case "SECTION":
			dec, err := url.PathUnescape(val)
			if err != nil {
				return u, false
			}
			u.section = strings.ToUpper(dec)
		case "PARTIAL":
			a, b, hasLen := strings.Cut(val, ".")
			o, err := strconv.ParseUint(a, 10, 32)
			if err != nil {
				return u, false
			}
			u.partial, u.start = true, uint32(o)
			if hasLen {
				l, err := strconv.ParseUint(b, 10, 32)
				if err != nil {
					return u, false
				}
				u.n = uint32(l)
			}
		case "UIDVALIDITY":
			v, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return u, false
			}
			u.uidValidity = uint32(v)
		default:
			return u, false
		}
	}
	return u, true
}

// urlFetch returns the data a CATENATE URL part names (Cyrus
// catenate_url + index_urlfetch), with Cyrus's BADURL texts.
func (s *Session) urlFetch(raw string) ([]byte, error) {
	bad := func(text string) error { return &catenateError{url: raw, text: text} }
	u, ok := parseIMAPURL(raw)
	switch {
	case !ok:
		return nil, bad("Improperly specified URL")
	case u.server:
		return nil, bad("Only relative URLs are supported")
	case u.mailbox == "" && s.sel == nil:
		return nil, bad("No mailbox is selected or specified")
	}
	var e *mboxlist.Entry
	if u.mailbox != "" {
		var err error
		e, _, err = s.lookup(u.mailbox)
		if err != nil {
			_, text := s.errText(err)
			return nil, bad(text)
		}
	}
	return s.fetchURLPart(raw, e, true, u)
}

// fetchURLPart returns the bytes an IMAP URL names in mailbox e (nil:
// the selected one), checking the read right when checkRights (URLAUTH
// URLs carry their own authorization).
func (s *Session) fetchURLPart(raw string, e *mboxlist.Entry, checkRights bool, u imapURL) ([]byte, error) {
	bad := func(text string) error { return &catenateError{url: raw, text: text} }
	var mb *mailbox.Mailbox
	var view *mailbox.View
	if e != nil && (s.sel == nil || s.sel.gone || s.sel.name != e.Name) {
		var err error
		if checkRights {
			r := s.entryRights(e)
			if !r.Has(acl.Read) {
				if s.isAdmin || r.Has(acl.Lookup) {
					err = errPermission
				} else {
					err = errNonexistent
				}
			}
		}
		if err == nil {
			mb, err = s.srv.openMailbox(e, mailbox.ReadOnly)
		}
		if err == nil {
			view, err = mb.NewView()
		}
		if err != nil {
			if mb != nil {
				mb.Close()
			}
			_, text := s.errText(err)
			return nil, bad(text)
		}
		defer mb.Close()
		defer view.Close()
	} else {
		view = s.sel.view
	}
	if u.uidValidity != 0 && view.Header().UIDValidity != u.uidValidity {
		return nil, bad("Uidvalidity of mailbox has changed")
	}
	seq, found := view.Seq(u.uid)
	if u.uid == 0 || !found {
		return nil, bad("No such message in mailbox")
	}
	rec, err := view.Record(seq)
	if err != nil {
		return nil, bad("No such message in mailbox")
	}
	f, err := view.OpenMessage(seq)
	if err != nil {
		return nil, bad("No such message in mailbox")
	}
	defer f.Close()
	size := int64(rec.Size)
	var off, length int64 = 0, size
	if u.section != "" {
		sec := u.section
		if sec == "TEXT.MIME" {
			sec = "HEADER" // Cyrus's allowance for eM Client
		}
		c, err := view.CacheOf(&rec)
		if err != nil {
			return nil, bad("No such message part")
		}
		tree, err := message.DecodeSectionMap(c.Item(index.CacheBodyStructure), c.Item(index.CacheSection), rec.Size)
		if err != nil {
			return nil, bad("No such message part")
		}
		loc, ok := tree.Resolve(sec)
		if !ok {
			return nil, errURLBadPart
		}
		off, length = int64(loc.Offset), int64(loc.Length)
	}
	if u.partial {
		if int64(u.start) >= length {
			length = 0
		} else {
			length -= int64(u.start)
		}
		if u.n != 0 && length > int64(u.n) {
			length = int64(u.n)
		}
		off += int64(u.start)
	}
	return readAt(f, off, length, size), nil
}
