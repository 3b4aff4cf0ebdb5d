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
	m.canon.put(r)
	if len(m.out) >= 4096 {
		m.check()
	}
}

// SearchString is charset_searchstring(): whether the UTF-8 text s,
// in search form, contains the pattern. An empty pattern matches.
func SearchString(p *Pattern, s []byte, flags Flags) bool {
	if len(p.b) == 0 {
		return true
	}
	m := newMatcher(p, flags)
	var d utf8Decoder
	d.write(s, m)
	return m.check()
}

// SearchHeader is charset_search_mimeheader(): whether a raw header
// block (field names, folding and RFC 2047 words included), decoded and
// in search form, contains the pattern. An empty pattern never matches
// here.
func SearchHeader(p *Pattern, raw []byte, flags Flags) bool {
	m := newMatcher(p, flags)
	mimeHeader(raw, flags, m)
	return m.check()
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

// DecodeHeader is charset_parse_mimeheader(): header text RFC 2047
// decoded to UTF-8, not in search form.
func DecodeHeader(raw []byte, flags Flags) []byte {
	var c utf8Collector
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
	cs := decoderFor(charsetName)
	if cs == nil {
		return false, nil
	}
	if len(p.b) == 0 {
		return true, nil
	}
	var td transferDecoder
	switch encoding {
	case EncodingNone:
	case EncodingQP:
		td = &qpDecoder{}
	case EncodingBase64:
		td = &b64Decoder{}
	default:
		return false, nil
	}
	m := newMatcher(p, flags)
	icu, isICU := cs.(*icuDecoder)
	var block []byte
	feed := func(b []byte) {
		if !isICU {
			cs.write(b, m)
			return
		}
		for len(b) > 0 {
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
	buf := make([]byte, 32*1024)
	var dec []byte
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if td != nil {
				dec = td.write(dec[:0], buf[:n])
				feed(dec)
			} else {
				feed(buf[:n])
			}
			if m.check() {
				return true, nil
			}
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
