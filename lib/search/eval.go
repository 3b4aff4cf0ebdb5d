package search

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"

	"gyrus/lib/charset"
	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

// msg is one message being evaluated: what has been read of it so far.
// Nothing is read before a key needs it. One msg is reused for every
// message of a search (reset).
type msg struct {
	s     *searcher
	seq   uint32
	rec   index.Record
	cache index.CacheEntry
	// cacheDone: cache was read; cacheErr: it could not be (keys
	// needing it fail)
	cacheDone bool
	cacheErr  bool
	file      msgFile
	fetched   *fetch // the prefetched file, given back at close
	fileDone  bool
	fileErr   bool
	tree      *message.SectionTree
	treeErr   bool
	hdr       []byte // top-level header block (raw), read on demand
	hdrDone   bool
}

type searcher struct {
	src   Source
	opt   *Options
	flags charset.Flags
	root  *node
	rd    *reader
	pf    *prefetcher // nil: files are read when a key needs them
	// scratch buffers, valid during one key's evaluation
	fieldBuf []byte
	decBuf   []byte
}

// reset makes m the message seq with record rec, nothing read yet.
func (m *msg) reset(seq uint32, rec *index.Record) {
	s := m.s
	*m = msg{s: s, seq: seq, rec: *rec, file: msgFile{fd: -1}}
}

func (m *msg) close() {
	m.file.close()
	if m.fetched != nil {
		m.s.pf.release(m.fetched)
		m.fetched = nil
	}
}

func (m *msg) cacheEntry() *index.CacheEntry {
	if !m.cacheDone {
		m.cacheDone = true
		ce, err := m.s.rd.cache(m.seq, &m.rec)
		if err != nil {
			m.cacheErr = true
			return nil
		}
		m.cache = ce
	}
	if m.cacheErr {
		return nil
	}
	return &m.cache
}

func (m *msg) item(n int) []byte {
	ce := m.cacheEntry()
	if ce == nil {
		return nil
	}
	return ce.Item(n)
}

// open reads or opens the message file; false if it cannot be.
func (m *msg) open() bool {
	if !m.fileDone {
		m.fileDone = true
		if pf := m.s.pf; pf != nil {
			if f := pf.take(m.seq); f != nil {
				m.fetched = f
				if f.failed {
					m.fileErr = true
					return false
				}
				if !f.big {
					m.file = msgFile{data: f.data, fd: -1}
					return true
				}
			}
		}
		f, err := m.s.rd.open(m.seq, m.rec.Size)
		if err != nil {
			m.fileErr = true
			return false
		}
		m.file = f
	}
	return !m.fileErr
}

func (m *msg) sections() *message.SectionTree {
	if m.tree == nil && !m.treeErr {
		ce := m.cacheEntry()
		if ce == nil {
			m.treeErr = true
			return nil
		}
		t, err := message.DecodeSectionMap(ce.Item(index.CacheBodyStructure), ce.Item(index.CacheSection), m.rec.Size)
		if err != nil {
			m.treeErr = true
			return nil
		}
		m.tree = t
	}
	return m.tree
}

// readAt reads n bytes at off of the message file (nil on error).
func (m *msg) readAt(off, n uint32) []byte {
	if !m.open() {
		return nil
	}
	return m.file.readAt(off, n)
}

// header returns the top-level header block from the message file.
func (m *msg) header() []byte {
	if !m.hdrDone {
		m.hdrDone = true
		m.hdr = m.readAt(0, m.rec.HeaderSize)
	}
	return m.hdr
}

func (s *searcher) eval(n *node, m *msg) bool {
	switch n.op {
	case opTrue:
		return true
	case opFalse:
		return false
	case opAnd:
		for _, k := range n.kids {
			if !s.eval(k, m) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if s.eval(k, m) {
				return true
			}
		}
		return false
	case opNot:
		return !s.eval(n.kids[0], m)
	case opSeq:
		return contains(n.set, m.seq)
	case opUID:
		return contains(n.set, m.rec.UID)
	case opSysFlag:
		return m.rec.SystemFlags&uint32(n.n) != 0
	case opSeen:
		if s.opt.Seen != nil {
			return s.opt.Seen(m.seq, &m.rec)
		}
		return m.rec.SystemFlags&index.FlagSeen != 0
	case opRecent:
		return s.opt.Recent != nil && s.opt.Recent(m.seq, m.rec.UID)
	case opKeyword:
		return n.slot >= 0 && m.rec.HasUserFlag(n.slot)
	case opInternal:
		t := int64(m.rec.InternalDate)
		return t >= n.lo && t < n.hi
	case opSent:
		t := int64(m.rec.SentDate)
		return t >= n.lo && t < n.hi
	case opSaved:
		t := int64(m.rec.SaveDate)
		if t == 0 {
			t = int64(m.rec.InternalDate)
		}
		return t >= n.lo && t < n.hi
	case opSizeGT:
		return uint64(m.rec.Size) > n.n
	case opSizeLT:
		return uint64(m.rec.Size) < n.n
	case opModSeq:
		return m.rec.ModSeq >= n.n
	case opEmailID:
		return n.text == "M"+hex.EncodeToString(m.rec.GUID[:12])
	case opThreadID:
		return n.text == threadID(m.rec.CID)
	case opCID:
		return m.rec.CID == n.n
	case opAddr:
		b := m.item(n.item)
		if string(b) == "NIL" {
			b = nil
		}
		return len(b) > 0 && n.srch.String(b)
	case opSubject:
		b := m.item(index.CacheSubject)
		if b == nil {
			return false
		}
		subj := quotedItem(b)
		if subj == nil {
			s, ok, err := message.DecodedSubject(b)
			if err != nil || !ok {
				return false
			}
			subj = []byte(s)
		}
		return len(subj) > 0 && n.srch.String(subj)
	case opMessageID:
		b := m.item(index.CacheEnvelope)
		if b == nil {
			return false
		}
		env, err := message.ParseEnvelope(b)
		if err != nil || env.MessageID == "" || env.MessageID == "NIL" {
			return false
		}
		return n.srch.String([]byte(env.MessageID))
	case opHeader:
		raw := s.field(m, n.names[0], n.cached[0])
		if len(raw) == 0 {
			return false
		}
		dec := charset.AppendDecodedHeader(s.decBuf[:0], raw, s.flags)
		s.decBuf = dec[:0]
		if n.text == "" {
			// RFC 3501: an empty string matches messages that have the
			// field (and whose decoded value is not empty, in Cyrus)
			return len(dec) > 0
		}
		return n.srch.String(dec)
	case opRawField:
		var raw []byte
		for i, name := range n.names {
			if raw = s.field(m, name, n.cached[i]); len(raw) > 0 {
				if n.srch.String(raw) {
					return true
				}
				if n.names[0] == "X-Original-Delivered-To" {
					return false // DELIVEREDTO tries the second only without the first
				}
			}
		}
		return false
	case opBody:
		return s.text(n, m)
	case opContentType:
		t := m.sections()
		if t == nil {
			return false
		}
		return matchTypes(n.srch, t.Root())
	case opSpam:
		raw := s.field(m, n.names[0], n.cached[0])
		v := int64(int32(atof(string(raw))*100 + 0.5))
		if n.ge {
			return v >= n.lo
		}
		return v < n.lo
	case opAnnotation:
		if s.opt.Annotation == nil {
			return false
		}
		for _, v := range s.opt.Annotation(m.rec.UID, n.text, n.attr) {
			if annotMatch(n.value, v) {
				return true
			}
		}
		return false
	}
	return false
}

// threadID is "T" + the conversation id in hex; Cyrus without
// conversations has cid 0, encoded "NIL".
func threadID(cid uint64) string {
	if cid == 0 {
		return "TNIL"
	}
	return fmt.Sprintf("T%016x", cid)
}

// annotMatch is _search_annot_match: NIL matches NIL, empty matches
// empty, otherwise a substring test.
func annotMatch(want, v []byte) bool {
	switch {
	case want == nil:
		return v == nil
	case v == nil:
		return false
	case len(want) == 0:
		return len(v) == 0
	case len(v) == 0:
		return false
	}
	return bytes.Contains(v, want)
}

// field is message_get_field(..., MESSAGE_RAW) for a header that is not
// one of the cached items: the lines of that field from the cached
// HEADERS item when Cyrus caches it (cached), else from the message's
// header block, with the first field name and colon removed. The bytes
// are valid until the next call.
func (s *searcher) field(m *msg, name string, cached bool) []byte {
	var block []byte
	if cached {
		block = m.item(index.CacheHeaders)
	} else {
		block = m.header()
	}
	raw := appendPruned(s.fieldBuf[:0], block, name, s.opt.maxHeaderLines())
	s.fieldBuf = raw[:0]
	if len(raw) == 0 {
		return nil
	}
	if i := bytes.IndexByte(raw, ':'); i >= 0 {
		raw = raw[i+1:]
	}
	return raw
}

// pruneHeader is message_pruneheader() with one wanted name: the lines
// (with their continuations) of the fields called name, in order. The
// block is a C string: it ends at a NUL, and at a line starting with CR.
func pruneHeader(block []byte, name string, maxLines int) []byte {
	return appendPruned(nil, block, name, maxLines)
}

// appendPruned is pruneHeader appending to out.
func appendPruned(out, block []byte, name string, maxLines int) []byte {
	if i := bytes.IndexByte(block, 0); i >= 0 {
		block = block[:i]
	}
	p, count := 0, 0
	for p < len(block) && block[p] != '\r' {
		colon := bytes.IndexByte(block[p:], ':')
		good := colon == len(name) && equalFold(block[p:p+colon], name)
		next := p
		for {
			nl := bytes.IndexByte(block[next:], '\n')
			if nl < 0 {
				next = len(block)
			} else {
				next += nl + 1
			}
			if next >= len(block) || (block[next] != ' ' && block[next] != '\t') {
				break
			}
		}
		if good {
			out = append(out, block[p:next]...)
		}
		p = next
		if maxLines > 0 {
			count++
			if count > maxLines {
				break
			}
		}
	}
	return out
}

// matchTypes is XCONTENTTYPE: each part's type, subtype and
// type/subtype, multiparts and messages included.
func matchTypes(se *charset.Searcher, part *message.Part) bool {
	if part == nil {
		return false
	}
	for _, s := range []string{part.Type, part.Subtype, part.Type + "/" + part.Subtype} {
		if se.String([]byte(s)) {
			return true
		}
	}
	for _, sub := range part.Parts {
		if matchTypes(se, sub) {
			return true
		}
	}
	return matchTypes(se, part.Sub)
}

// equalFold is strings.EqualFold(string(b), s) without the conversion.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if x >= 0x80 || y >= 0x80 {
			return strings.EqualFold(string(b), s)
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// quotedItem is the content of a cache item that is a quoted string
// (what message.DecodedSubject returns for it, without the copy); nil
// when the item is not one.
func quotedItem(b []byte) []byte {
	if len(b) == 0 || b[0] != '"' {
		return nil
	}
	end := bytes.IndexByte(b[1:], '"')
	if end < 0 {
		return nil
	}
	return b[1 : 1+end]
}

// text is BODY and TEXT (search_text_match over message_foreach_section):
// every MIME header block (but the message's own for BODY) is searched
// decoded, every TEXT part's content streamed through its transfer
// encoding and charset; other parts are not searched, message/rfc822
// parts are entered.
func (s *searcher) text(n *node, m *msg) bool {
	t := m.sections()
	if t == nil || !m.open() {
		return false
	}
	skip := n.skip
	return s.visitText(n, m, t.Root(), &skip)
}

func (s *searcher) visitText(n *node, m *msg, p *message.Part, skip *bool) bool {
	if p == nil {
		return false
	}
	if p.HeaderSize > 0 {
		if *skip {
			*skip = false
		} else if h := m.readAt(p.HeaderOffset, p.HeaderSize); n.srch.Header(h) {
			return true
		}
	}
	if strings.EqualFold(p.Type, "TEXT") {
		if ok, _ := n.srch.Body(m.file.section(p.ContentOffset, p.ContentSize), p.Charset, p.Encoding); ok {
			return true
		}
	}
	for _, sub := range p.Parts {
		if s.visitText(n, m, sub, skip) {
			return true
		}
	}
	return s.visitText(n, m, p.Sub, skip)
}

var _ = imapwire.SearchAll
