package charset

import (
	"bytes"
	"errors"
	"io"
)

// ErrUnknownCharset is returned for a charset name Cyrus does not know.
var ErrUnknownCharset = errors.New("charset: unrecognized character set")

// Convert is charset_convert(): the bytes s, in the named charset, in
// search form (or with KeepCase only with the white space rules
// applied), as UTF-8. A search string is read with
// Convert(Convert(s, charset, flags|KeepCase), "utf-8", flags).
func Convert(s []byte, charsetName string, flags Flags) ([]byte, error) {
	d := decoderFor(charsetName)
	if d == nil {
		return nil, ErrUnknownCharset
	}
	c := &canon{flags: flags}
	d.write(cString(s), c)
	d.flush(c)
	return c.out, nil
}

// SearchForm is the search form of UTF-8 text (charset_utf8_to_searchform).
func SearchForm(s []byte, flags Flags) []byte {
	c := &canon{flags: flags}
	var d utf8Decoder
	d.write(cString(s), c)
	return c.out
}

// Pattern is a search string in search form.
type Pattern struct {
	b []byte
}

// NewPattern compiles a search string already in search form.
func NewPattern(searchForm []byte) *Pattern {
	return &Pattern{b: append([]byte(nil), cString(searchForm)...)}
}

// CompilePattern reads a client's search string the way Cyrus's imapd
// does: decoded from its charset with only the white space rules, then
// put in search form.
func CompilePattern(s []byte, charsetName string, flags Flags) (*Pattern, error) {
	kept, err := Convert(s, charsetName, flags|KeepCase)
	if err != nil {
		return nil, err
	}
	f, _ := Convert(kept, "utf-8", flags&^KeepCase)
	return NewPattern(f), nil
}

// Empty reports whether the pattern has no bytes (it matches everywhere
// Cyrus checks for that, and nowhere it does not).
func (p *Pattern) Empty() bool { return len(p.b) == 0 }

// Bytes returns the search form.
func (p *Pattern) Bytes() []byte { return p.b }

// matcher is a canon stage whose output is searched for the pattern as
// it grows (byte2search: a plain substring test over the search form).
type matcher struct {
	canon
	pat   []byte
	found bool
}

func newMatcher(p *Pattern, flags Flags) *matcher {
	return &matcher{canon: canon{flags: flags &^ KeepCase}, pat: p.b}
}

// restart readies the matcher for new text, keeping its buffer.
func (m *matcher) restart() {
	m.canon = canon{flags: m.flags, out: m.out[:0]}
	m.found = false
}

// check looks for the pattern in what was produced and keeps only the
// tail that a later match could start in.
func (m *matcher) check() bool {
	if m.found {
		return true
	}
	if len(m.pat) == 0 {
		return false // Cyrus's byte2search never matches an empty string
	}
	if bytes.Index(m.out, m.pat) >= 0 {
		m.found = true
		m.out = m.out[:0]
		return true
	}
	if keep := len(m.pat) - 1; len(m.out) > keep {
		n := copy(m.out, m.out[len(m.out)-keep:])
		m.out = m.out[:n]
	}
	return false
}

func (m *matcher) put(r rune) {
	if m.found {
		return // the answer is known; the rest is not looked at
	}
	m.canon.put(r)
	if len(m.out) >= 4096 {
		m.check()
	}
}

func (m *matcher) putASCII(p []byte) {
	for len(p) > 0 && !m.found {
		n := min(len(p), 4096)
		m.canon.putASCII(p[:n])
		p = p[n:]
		if len(m.out) >= 4096 {
			m.check()
		}
	}
}

// Searcher tests texts for one pattern again and again, keeping its
// buffers from one text to the next (a search over many messages).
// Its answers are those of SearchString, SearchHeader and SearchBody.
// A Searcher is not safe for concurrent use.
type Searcher struct {
	m     matcher
	flags Flags
	buf   []byte // reads of a body
	dec   []byte // transfer-decoded bytes
	block []byte // an ICU block being filled
	qp    qpDecoder
	b64   b64Decoder
	utf8  utf8Decoder
}

// NewSearcher returns a Searcher for p under flags.
func NewSearcher(p *Pattern, flags Flags) *Searcher {
	return &Searcher{m: matcher{canon: canon{flags: flags &^ KeepCase}, pat: p.b}, flags: flags}
}

// SearchString is charset_searchstring(): whether the UTF-8 text s,
// in search form, contains the pattern. An empty pattern matches.
func SearchString(p *Pattern, s []byte, flags Flags) bool {
	return NewSearcher(p, flags).String(s)
}

// String is SearchString.
func (se *Searcher) String(s []byte) bool {
	if len(se.m.pat) == 0 {
		return true
	}
	se.m.restart()
	se.utf8.reset()
	se.utf8.write(s, &se.m)
	return se.m.check()
}

// SearchHeader is charset_search_mimeheader(): whether a raw header
// block (field names, folding and RFC 2047 words included), decoded and
// in search form, contains the pattern. An empty pattern never matches
// here.
func SearchHeader(p *Pattern, raw []byte, flags Flags) bool {
	return NewSearcher(p, flags).Header(raw)
}

// Header is SearchHeader.
func (se *Searcher) Header(raw []byte) bool {
	se.m.restart()
	mimeHeader(raw, se.flags, &se.m)
	return se.m.check()
}

// utf8Collector collects code points as UTF-8 the way a C string
// written by uni2utf8 would hold them (invalid code points as U+FFFD,
// nothing after a NUL).
type utf8Collector struct {
	out  []byte
	done bool
}

func (u *utf8Collector) put(r rune) {
	if u.done {
		return
	}
	if r == 0 {
		u.done = true
		return
	}
	u.out = appendRune(u.out, r)
}

func (u *utf8Collector) putASCII(p []byte) {
	if u.done {
		return
	}
	if i := bytes.IndexByte(p, 0); i >= 0 {
		p = p[:i]
		u.done = true
	}
	u.out = append(u.out, p...)
}

// DecodeHeader is charset_parse_mimeheader(): header text RFC 2047
// decoded to UTF-8, not in search form.
func DecodeHeader(raw []byte, flags Flags) []byte {
	return AppendDecodedHeader(nil, raw, flags)
}

// AppendDecodedHeader is DecodeHeader appending to dst (nil when
// nothing is appended to a nil dst).
func AppendDecodedHeader(dst, raw []byte, flags Flags) []byte {
	c := utf8Collector{out: dst}
	mimeHeader(raw, flags, &c)
	return c.out
}

// icuBlock is CHARSET_ICUBUF_BUFFER_SIZE: Cyrus hands body bytes to an
// ICU converter in blocks of this size and, searching a body, never
// converts a last partial block.
const icuBlock = 4096

// SearchBody is charset_searchfile() over a body part read from r: its
// transfer encoding undone, its charset decoded, in search form, does it
// contain the pattern? r is read in chunks until a match is found. An
// empty pattern matches; an unknown charset never does, nor an unknown
// transfer encoding with a non-empty pattern.
//
// Quirk kept from Cyrus 3.6.1: for charsets converted by ICU (all but
// us-ascii and utf-8, iso-8859-1 included) only whole blocks of 4096
// decoded bytes are searched; the rest of the part is not.
func SearchBody(p *Pattern, r io.Reader, charsetName string, encoding int, flags Flags) (bool, error) {
	return NewSearcher(p, flags).Body(r, charsetName, encoding)
}

// Body is SearchBody. A reader with a Bytes() []byte method (what is
// left to read) is taken whole instead of read.
func (se *Searcher) Body(r io.Reader, charsetName string, encoding int) (bool, error) {
	info := lookup(charsetName)
	if info == nil {
		return false, nil
	}
	if len(se.m.pat) == 0 {
		return true, nil
	}
	var td transferDecoder
	switch encoding {
	case EncodingNone:
	case EncodingQP:
		se.qp.header, se.qp.n = false, 0
		td = &se.qp
	case EncodingBase64:
		se.b64 = b64Decoder{}
		td = &se.b64
	default:
		return false, nil
	}
	var cs runeDecoder
	if info.kind == csUTF8 {
		se.utf8.reset()
		cs = &se.utf8
	} else {
		cs = info.decoder()
	}
	m := &se.m
	m.restart()
	icu, isICU := cs.(*icuDecoder)
	block := se.block[:0]
	feed := func(b []byte) {
		if !isICU {
			cs.write(b, m)
			return
		}
		for len(b) > 0 {
			if len(block) == 0 && len(b) >= icuBlock {
				// a whole block in place
				icu.write(b[:icuBlock], m)
				icu.flush(m)
				b = b[icuBlock:]
				continue
			}
			n := icuBlock - len(block)
			if n > len(b) {
				n = len(b)
			}
			block = append(block, b[:n]...)
			b = b[n:]
			if len(block) == icuBlock {
				icu.write(block, m)
				icu.flush(m)
				block = block[:0]
			}
		}
	}
	defer func() { se.block = block[:0] }()
	chunk := func(b []byte) bool {
		if td != nil {
			se.dec = td.write(se.dec[:0], b)
			feed(se.dec)
		} else {
			feed(b)
		}
		return m.check()
	}
	if bs, ok := r.(interface{ Bytes() []byte }); ok {
		// the whole part at once: the same answer as read in chunks,
		// as every stage keeps its state from one write to the next
		return chunk(bs.Bytes()), nil
	}
	if se.buf == nil {
		se.buf = make([]byte, 32*1024)
	}
	for {
		n, err := r.Read(se.buf)
		if n > 0 && chunk(se.buf[:n]) {
			return true, nil
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, err
		}
	}
	// Cyrus never flushes this pipeline: a QP line without a final
	// newline and a last partial ICU block are not searched.
	return m.check(), nil
}
