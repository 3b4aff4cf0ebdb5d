package imapwire

// GETMETADATA/SETMETADATA (RFC 5464) and the RFC 5257 annotation data of
// FETCH, STORE and APPEND (Cyrus parse_metadata_string_or_list,
// parse_metadata_store_data, parse_annotate_fetch_data,
// parse_annotate_store_data).

import (
	"strconv"
	"strings"
)

// metadataStringOrList reads an entry (or pattern) or a parenthesised list
// of them. isList reports a list or a pattern with wildcards (Cyrus's
// is_list). On error it records p.metaE and returns a negative c.
func (p *Parser) metadataStringOrList() (entries []string, isList bool, c int) {
	bad := func(c int, format string) ([]string, bool, int) {
		p.metaE = p.fail(c, newBADText(p.tag, format))
		return nil, false, cEOF
	}
	isList = true
	c = p.getc()
	switch {
	case c < 0:
		return bad(c, TextMetaMissingEntry)
	case c == '\r':
		return nil, true, c
	case c == '(':
		for {
			var s string
			if s, c = p.astring(); c < 0 {
				if c == cTooBig || c == cRefused {
					return nil, false, c
				}
				return bad(c, TextMetaMissingEntry)
			}
			if !p.item() {
				p.metaE = p.tooMany(c)
				return nil, false, cEOF
			}
			entries = append(entries, s)
			if c != ' ' {
				break
			}
		}
		if c != ')' {
			return bad(c, TextMetaNoClose)
		}
		isList = false
		c = p.getc()
	default:
		p.ungetc(c)
		var s string
		if s, c = p.astring(); c < 0 {
			if c == cTooBig || c == cRefused {
				return nil, false, c
			}
			return bad(c, TextMetaMissingEntry)
		}
		entries = append(entries, s)
		isList = strings.ContainsAny(s, "*%")
	}
	if c == ' ' || c == '\r' || c == ')' {
		return entries, isList, c
	}
	// Cyrus skips the line without answering here; we answer.
	return bad(c, TextMetaMissingEntry)
}

// metaErr is the error of a failed metadataStringOrList.
func (p *Parser) metaErr(c int) error {
	switch c {
	case cTooBig:
		return p.literalTooBig("metadata entry")
	case cRefused:
		return p.refused
	}
	if p.failed() {
		return p.stopErr()
	}
	e := p.metaE
	p.metaE = nil
	return e
}

// GETMETADATA [options] mailbox(es) entries (RFC 5464 4.2). Cyrus also
// accepts the options after the mailbox, and a list of mailboxes.
func parseGetMetadata(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	var lists [3][]string
	var isList [3]bool
	n := 0
	for n < 3 {
		var l []string
		var il bool
		if l, il, c = p.metadataStringOrList(); c < 0 {
			return nil, p.metaErr(c)
		}
		lists[n], isList[n] = l, il
		n++
		if c == '\r' {
			break
		}
	}
	if c == '\r' {
		if c = p.getc(); c != '\n' {
			return nil, p.fail(c, newBAD(p.tag, TextMetaGetExtraArgs))
		}
	} else {
		// Cyrus silently drops what follows the third list; we refuse it.
		return nil, p.fail(c, newBAD(p.tag, TextMetaGetExtraArgs))
	}
	missing := newBAD(p.tag, TextMetaMissingArgs)
	if n < 2 {
		return nil, missing
	}
	g := &GetMetadata{Entries: lists[n-1]}
	var opts []string
	switch n {
	case 2:
		g.Mailboxes, g.MailboxIsPattern = lists[0], isList[0]
	case 3:
		r0 := metadataOptions(lists[0], nil) > 0
		r1 := metadataOptions(lists[1], nil) > 0
		switch {
		case r0 && r1:
			return nil, newBAD(p.tag, TextMetaTooManyOptions)
		case r0:
			opts = lists[0]
			g.Mailboxes, g.MailboxIsPattern = lists[1], isList[1]
		case r1:
			g.Mailboxes, g.MailboxIsPattern = lists[0], isList[0]
			opts = lists[1]
		default:
			return nil, missing
		}
	}
	metadataOptions(opts, g)
	for i, e := range g.Entries {
		le := strings.ToLower(e)
		if !metadataEntryOK(le) {
			return nil, newBAD(p.tag, TextMetaBadEntry)
		}
		g.Entries[i] = le
	}
	return g, nil
}

// metadataOptions is Cyrus's parse_getmetadata_options: the number of
// valid option pairs, 0 if the list is not options, -1 if malformed. It
// fills g when not nil.
func metadataOptions(sa []string, g *GetMetadata) int {
	n := 0
	for i := 0; i < len(sa); i += 2 {
		if i+1 >= len(sa) {
			return -1
		}
		opt, val := sa[i], sa[i+1]
		switch {
		case strings.EqualFold(opt, "MAXSIZE"):
			v, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return -1
			}
			if g != nil {
				g.MaxSize = &v
			}
		case strings.EqualFold(opt, "DEPTH"):
			switch {
			case val == "0", val == "1", strings.EqualFold(val, "infinity"):
				if g != nil {
					g.Depth = strings.ToLower(val)
				}
			default:
				return -1
			}
		default:
			return 0
		}
		n++
	}
	return n
}

// metadataEntryOK checks that a lower-cased entry starts with /private or
// /shared (RFC 5464 3.2).
func metadataEntryOK(e string) bool {
	for _, pre := range []string{"/private", "/shared"} {
		if strings.HasPrefix(e, pre) && (len(e) == len(pre) || e[len(pre)] == '/') {
			return true
		}
	}
	return false
}

// SETMETADATA mailbox (entry value ...) (RFC 5464 4.3).
func parseSetMetadata(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	mbox, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	bad := func(c int, format string) error { return p.fail(c, newBADText(p.tag, format)) }
	tooBig := func() error { return p.literalTooBig("metadata entry") }
	s := &SetMetadata{Mailbox: mbox}
	if c = p.getc(); c != '(' {
		return nil, bad(c, TextMetaMissingList)
	}
	for {
		var entry string
		entry, c = p.astring()
		if c == cTooBig {
			return nil, tooBig()
		}
		if c != ' ' {
			return nil, bad(c, TextMetaMissingEntry)
		}
		entry = strings.ToLower(entry)
		var isNil bool
		isNil, c = p.getxstring(gxBNString)
		if c == cTooBig {
			return nil, tooBig()
		}
		if c < 0 {
			return nil, bad(c, TextMetaMissingValue)
		}
		if !metadataEntryOK(entry) {
			return nil, bad(c, TextMetaBadEntry)
		}
		if !p.item() {
			return nil, p.tooMany(c)
		}
		me := MetadataEntry{Name: entry}
		if !isNil {
			me.Value = append([]byte{}, p.tok...)
		}
		s.Entries = append(s.Entries, me)
		if c != ' ' {
			break
		}
	}
	if c != ')' {
		return nil, bad(c, TextMetaNoClose)
	}
	c = p.getc()
	if !p.isEOL(&c) {
		return nil, bad(c, TextMetaSetExtraArgs)
	}
	return s, nil
}

// annotateFetchData reads "entry-or-list SP attrib-or-list" after FETCH
// ANNOTATION's "(" (parse_annotate_fetch_data with astrings).
func (p *Parser) annotateFetchData(a *AnnotationFetch) int {
	bad := func(c int, format string) int {
		p.metaE = p.fail(c, newBADText(p.tag, format))
		return cEOF
	}
	// list reads a string or a parenthesised list of them; c is its first
	// byte, already read.
	list := func(c int, missingOne, missingList, noClose string) ([]string, int) {
		if c != '(' {
			p.ungetc(c)
			s, c := p.astring()
			if c < 0 {
				if c == cTooBig || c == cRefused {
					return nil, c
				}
				return nil, bad(c, missingOne)
			}
			return []string{s}, c
		}
		var out []string
		for {
			s, c2 := p.astring()
			if c = c2; c < 0 {
				if c == cTooBig || c == cRefused {
					return nil, c
				}
				return nil, bad(c, missingList)
			}
			if !p.item() {
				p.metaE = p.tooMany(c)
				return nil, cEOF
			}
			out = append(out, s)
			if c != ' ' {
				break
			}
		}
		if c != ')' {
			return nil, bad(c, noClose)
		}
		return out, p.getc()
	}
	c := p.getc()
	if c < 0 {
		return bad(c, TextAnnotMissingEntry)
	}
	entries, c := list(c, TextAnnotMissingEntry, TextAnnotMissingEntry, TextAnnotEntryNoClose)
	if c < 0 {
		return c
	}
	a.Entries = entries
	if c != ' ' {
		return bad(c, TextAnnotMissingAttrs)
	}
	if c = p.getc(); c < 0 {
		return bad(c, TextAnnotMissingAttrs)
	}
	attrs, c := list(c, TextAnnotMissingAttr, TextAnnotMissingAttrs, TextAnnotAttrNoClose)
	if c < 0 {
		return c
	}
	a.Attribs = attrs
	return c
}

// annotateStoreData reads "(" entry SP "(" attrib SP value ... ")" ... ")"
// (parse_annotate_store_data with the per-message syntax of RFC 5257).
func (p *Parser) annotateStoreData(out *[]AnnotationStore) int {
	bad := func(c int, format string) int {
		p.metaE = p.fail(c, newBADText(p.tag, format))
		return cEOF
	}
	c := p.getc()
	if c < 0 {
		return bad(c, TextAnnotMissingEntry)
	}
	if c != '(' {
		return bad(c, TextAnnotMissingParen)
	}
	for {
		var e AnnotationStore
		if e.Entry, c = p.astring(); c < 0 {
			if c == cTooBig || c == cRefused {
				return c
			}
			return bad(c, TextAnnotMissingEntry)
		}
		if c != ' ' {
			return bad(c, TextAnnotMissingValues)
		}
		if c = p.getc(); c != '(' {
			return bad(c, TextAnnotMissingValues)
		}
		for {
			var v AnnotationValue
			if v.Attrib, c = p.astring(); c < 0 {
				if c == cTooBig || c == cRefused {
					return c
				}
				return bad(c, TextAnnotMissingAttr)
			}
			if c != ' ' {
				return bad(c, TextAnnotMissingValue)
			}
			var isNil bool
			if isNil, c = p.getxstring(gxBNString); c < 0 {
				if c == cTooBig || c == cRefused {
					return c
				}
				return bad(c, TextAnnotMissingValue)
			}
			if !isNil {
				v.Value = append([]byte{}, p.tok...)
			}
			if !p.item() {
				p.metaE = p.tooMany(c)
				return cEOF
			}
			e.Values = append(e.Values, v)
			if c != ' ' {
				break
			}
		}
		if c != ')' {
			return bad(c, TextAnnotValuesNoClose)
		}
		*out = append(*out, e)
		if c = p.getc(); c != ' ' {
			break
		}
	}
	if c != ')' {
		return bad(c, TextAnnotEntryNoClose)
	}
	return p.getc()
}

// annotErr is the error of failed annotation data.
func (p *Parser) annotErr(c int) error {
	switch c {
	case cTooBig:
		return p.literalTooBig("annotation entry")
	case cRefused:
		return p.refused
	}
	if p.failed() {
		return p.stopErr()
	}
	e := p.metaE
	p.metaE = nil
	if e == nil {
		e = newBAD(p.tag, TextAnnotMissingEntry)
	}
	return e
}
