package message

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Reading the cache back: the items of an entry, the decoded subject and
// addresses for SEARCH and SORT, and the ENVELOPE fields.

// SplitCacheEntry cuts a cyrus.cache entry (as CacheEntry builds it or as
// read at cache_offset) into its 10 items. It returns the entry's length,
// so that a reader of cyrus.cache can step to the next one.
func SplitCacheEntry(b []byte) (items [NumItems][]byte, n int, err error) {
	for i := range items {
		if n+4 > len(b) {
			return items, 0, fmt.Errorf("cache entry: truncated before item %d", i)
		}
		l := int(binary.BigEndian.Uint32(b[n:]))
		if l < 0 || l > len(b)-n-4 {
			return items, 0, fmt.Errorf("cache entry: item %d overruns (%d bytes)", i, l)
		}
		items[i] = b[n+4 : n+4+l]
		n += 4 + (l+3)&^3
		if n > len(b) {
			n = len(b)
		}
	}
	return items, n, nil
}

// DecodedSubject returns the SUBJECT item's text: the Subject header
// RFC 2047-decoded to UTF-8 (what SEARCH SUBJECT and SORT SUBJECT work
// on); ok is false for NIL (no Subject header).
func DecodedSubject(item []byte) (subject string, ok bool, err error) {
	bp := &bsParser{b: item}
	s, valid, err := bp.nstring()
	if err != nil {
		return "", false, fmt.Errorf("subject item: %w", err)
	}
	return s, valid, nil
}

// SearchAddr is one address of a FROM/TO/CC/BCC item: the display name
// RFC 2047-decoded to UTF-8, mailbox, domain and route lowercased.
// A group is a GroupStart element with the group name in Name, its
// members, then a GroupEnd element.
type SearchAddr struct {
	Name, Route, Mailbox, Domain string
	GroupStart, GroupEnd         bool
}

// ParseSearchAddrs reads a FROM/TO/CC/BCC item (the search form Cyrus
// writes: `"Name" <mailbox@domain>,Other <x@y>`, groups as `name:...;`).
func ParseSearchAddrs(item []byte) []SearchAddr {
	s := string(item)
	var out []SearchAddr
	for p := 0; p < len(s); {
		switch s[p] {
		case ',', ' ':
			p++
			continue
		case ';':
			out = append(out, SearchAddr{GroupEnd: true})
			p++
			continue
		}
		var a SearchAddr
		if s[p] == '"' {
			var name []byte
			p++
			for p < len(s) && s[p] != '"' {
				if s[p] == '\\' && p+1 < len(s) {
					p++
				}
				name = append(name, s[p])
				p++
			}
			p++
			a.Name = string(name)
			for p < len(s) && s[p] == ' ' {
				p++
			}
		} else {
			i := p
			for i < len(s) && s[i] != '<' && s[i] != ':' {
				i++
			}
			if i < len(s) && s[i] == ':' {
				out = append(out, SearchAddr{Name: s[p:i], GroupStart: true})
				p = i + 1
				continue
			}
			name := s[p:i]
			for len(name) > 0 && name[len(name)-1] == ' ' {
				name = name[:len(name)-1]
			}
			a.Name = name
			p = i
		}
		if p >= len(s) || s[p] != '<' {
			break // not the search form
		}
		p++
		if p < len(s) && s[p] == '@' {
			// <@route,@route:mailbox@domain>
			if c := indexByteFrom(s, p, ':'); c >= 0 {
				a.Route, p = s[p:c], c+1
			}
		}
		at := indexByteFrom(s, p, '@')
		if at < 0 {
			break
		}
		end := indexByteFrom(s, at, '>')
		if end < 0 {
			end = len(s)
		}
		local := s[p:at]
		a.Mailbox, a.Domain = local, s[at+1:end]
		out = append(out, a)
		p = end + 1
	}
	return out
}

// Envelope is the ENVELOPE item read back.
type Envelope struct {
	Date, Subject, InReplyTo, MessageID string
	HasDate, HasSubject                 bool
	From, Sender, ReplyTo, To, Cc, Bcc  []Address
}

// ParseEnvelope reads an ENVELOPE item (RFC 3501 envelope syntax, as
// Cyrus writes it).
func ParseEnvelope(item []byte) (*Envelope, error) {
	bp := &bsParser{b: item}
	e := &Envelope{}
	fail := func(what string, err error) (*Envelope, error) {
		if err == nil {
			err = errors.New("bad syntax")
		}
		return nil, fmt.Errorf("envelope %s at %d: %w", what, bp.p, err)
	}
	if err := bp.expect('('); err != nil {
		return fail("start", err)
	}
	var err error
	if e.Date, e.HasDate, err = bp.nstring(); err != nil {
		return fail("date", err)
	}
	if err := bp.expect(' '); err != nil {
		return fail("date", err)
	}
	if e.Subject, e.HasSubject, err = bp.nstring(); err != nil {
		return fail("subject", err)
	}
	for _, list := range []*[]Address{&e.From, &e.Sender, &e.ReplyTo, &e.To, &e.Cc, &e.Bcc} {
		if err := bp.expect(' '); err != nil {
			return fail("address list", err)
		}
		if *list, err = bp.addressList(); err != nil {
			return fail("address list", err)
		}
	}
	for _, f := range []*string{&e.InReplyTo, &e.MessageID} {
		if err := bp.expect(' '); err != nil {
			return fail("id", err)
		}
		if *f, _, err = bp.nstring(); err != nil {
			return fail("id", err)
		}
	}
	if err := bp.expect(')'); err != nil {
		return fail("end", err)
	}
	return e, nil
}

func (bp *bsParser) addressList() ([]Address, error) {
	if bp.peek() != '(' {
		_, _, err := bp.nstring() // NIL
		return nil, err
	}
	bp.p++
	var list []Address
	for bp.peek() == '(' {
		bp.p++
		var f [4]string
		var valid [4]bool
		for i := range f {
			if i > 0 {
				if err := bp.expect(' '); err != nil {
					return nil, err
				}
			}
			var err error
			if f[i], valid[i], err = bp.nstring(); err != nil {
				return nil, err
			}
		}
		if err := bp.expect(')'); err != nil {
			return nil, err
		}
		list = append(list, Address{Name: f[0], Route: f[1], Mailbox: f[2], Domain: f[3],
			HasMailbox: valid[2], HasDomain: valid[3]})
	}
	return list, bp.expect(')')
}
