package charset

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"gyrus/lib/message"
)

// Byte-to-code-point decoders: Cyrus's us-ascii table (table2uni), its
// own UTF-8 decoder (utf8_2uni), and the ICU converters, for which the
// decoders of lib/message stand in.

// runeSink receives code points from a decoder.
type runeSink interface {
	put(r rune)
	// putASCII receives a run of bytes below 0x80, each a code point.
	putASCII(p []byte)
}

// fastPaths lets decoders hand runs of ASCII to putASCII and decode
// single-byte charsets by table. Tests turn it off to check that the
// answers are those of the code-point-at-a-time path.
var fastPaths = true

// asciiRun is the length of the run of bytes below 0x80 at the start of
// p.
func asciiRun(p []byte) int {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		if binary.LittleEndian.Uint64(p[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(p); i++ {
		if p[i] >= 0x80 {
			break
		}
	}
	return i
}

type runeDecoder interface {
	write(p []byte, s runeSink)
	// flush ends a chunk (ICU converters convert what they hold).
	flush(s runeSink)
	// replacement pushes a U+FFFD through the decoder.
	replacement(s runeSink)
	reset()
}

// decoderFor returns the decoder of a charset looked up by name, nil if
// Cyrus does not know it.
func decoderFor(name string) runeDecoder {
	cs := lookup(name)
	if cs == nil {
		return nil
	}
	return cs.decoder()
}

// csInfo is what a charset name resolves to (charset_lookupname), kept
// so that the name is looked up once, not per body part or encoded word.
type csInfo struct {
	name  string
	canon string
	kind  uint8
	// tab is the byte table of a single-byte ICU charset; asciiSame:
	// it maps every byte below 0x80 to itself.
	tab       *[256]uint16
	asciiSame bool
}

const (
	csASCII uint8 = iota
	csUTF8
	csICU
)

var (
	csCache sync.Map // name → *csInfo, or csUnknown
	csCount atomic.Int32
)

// csCacheMax bounds the cache: charset names come from messages.
const csCacheMax = 512

var csUnknown = &csInfo{canon: "unknown"}

// lookup resolves a charset name; nil if Cyrus does not know it.
func lookup(name string) *csInfo {
	if v, ok := csCache.Load(name); ok {
		if v == csUnknown {
			return nil
		}
		return v.(*csInfo)
	}
	d := message.LookupCharset(name)
	info := csUnknown
	if d != nil {
		info = &csInfo{name: name, canon: d.CanonName(), kind: csICU}
		switch {
		case d.IsUTF8():
			info.kind = csUTF8
		case !d.IsICU():
			info.kind = csASCII
		default:
			if info.tab = d.SingleByteTable(); info.tab != nil {
				info.asciiSame = true
				for b := 0; b < 0x80; b++ {
					if info.tab[b] != uint16(b) {
						info.asciiSame = false
					}
				}
			}
		}
	}
	if csCount.Load() < csCacheMax {
		if _, loaded := csCache.LoadOrStore(name, info); !loaded {
			csCount.Add(1)
		}
	}
	if info == csUnknown {
		return nil
	}
	return info
}

// decoder returns a new decoder for the charset.
func (cs *csInfo) decoder() runeDecoder {
	switch cs.kind {
	case csUTF8:
		return &utf8Decoder{}
	case csASCII:
		return asciiDecoder{}
	}
	if cs.tab != nil && fastPaths {
		return &icuDecoder{tab: cs.tab, asciiSame: cs.asciiSame}
	}
	return &icuDecoder{d: message.LookupCharset(cs.name)}
}

// Known reports whether Cyrus 3.6.1 knows a charset name
// (charset_lookupname), which is what SEARCH CHARSET accepts.
func Known(name string) bool {
	return lookup(name) != nil
}

// CanonName is the name Cyrus compares charsets by ("unknown" for an
// unknown one).
func CanonName(name string) string {
	cs := lookup(name)
	if cs == nil {
		return "unknown"
	}
	return cs.canon
}

type asciiDecoder struct{}

func (asciiDecoder) write(p []byte, s runeSink) {
	for len(p) > 0 {
		if fastPaths {
			if n := asciiRun(p); n > 0 {
				s.putASCII(p[:n])
				p = p[n:]
				continue
			}
		}
		if p[0] >= 0x80 {
			s.put(replacementChar)
		} else {
			s.put(rune(p[0]))
		}
		p = p[1:]
	}
}
func (asciiDecoder) flush(runeSink)         {}
func (asciiDecoder) replacement(s runeSink) { s.put(replacementChar) }
func (asciiDecoder) reset()                 {}

// utf8Decoder is utf8_2uni: overlong forms and surrogates are not
// rejected, an ill-formed sequence gives one U+FFFD and the next byte
// starts afresh, an unfinished sequence at the end is dropped.
type utf8Decoder struct {
	left int
	cp   rune
}

func (u *utf8Decoder) write(p []byte, s runeSink) {
	for i := 0; i < len(p); {
		if u.left == 0 && fastPaths {
			if n := asciiRun(p[i:]); n > 0 {
				s.putASCII(p[i : i+n])
				i += n
				continue
			}
		}
		c := p[i]
		i++
		if c < 0x80 && u.left == 0 {
			s.put(rune(c))
			continue
		}
		u.putByte(c, s)
	}
}

func (u *utf8Decoder) putByte(c byte, s runeSink) {
	switch {
	case c&0xf8 == 0xf0:
		if u.left > 0 {
			s.put(replacementChar)
		}
		if c >= 0xf5 && c <= 0xf7 {
			u.replacement(s)
			return
		}
		u.left, u.cp = 3, rune(c&0x07)
	case c&0xf0 == 0xe0:
		if u.left > 0 {
			s.put(replacementChar)
		}
		u.left, u.cp = 2, rune(c&0x0f)
	case c&0xe0 == 0xc0:
		if u.left > 0 {
			s.put(replacementChar)
		}
		if c == 0xc0 || c == 0xc1 {
			u.replacement(s)
			return
		}
		u.left, u.cp = 1, rune(c&0x1f)
	case c&0xc0 == 0x80:
		if u.left == 0 {
			u.replacement(s)
			return
		}
		u.cp = u.cp<<6 | rune(c&0x3f)
		u.left--
		if u.left == 0 {
			s.put(u.cp)
			u.cp = 0
		}
	case c >= 0xf8:
		u.replacement(s)
	default:
		if u.left > 0 {
			s.put(replacementChar)
		}
		s.put(rune(c))
		u.left, u.cp = 0, 0
	}
}

func (u *utf8Decoder) flush(runeSink) {}
func (u *utf8Decoder) replacement(s runeSink) {
	u.left, u.cp = 0, 0
	s.put(replacementChar)
}
func (u *utf8Decoder) reset() { u.left, u.cp = 0, 0 }

// icuDecoder wraps a lib/message decoder, which writes valid UTF-8; or,
// for a single-byte charset, decodes by its table (d nil): the same code
// points without a call per byte.
type icuDecoder struct {
	d         *message.CharsetDecoder
	tab       *[256]uint16
	asciiSame bool
	out       []byte
}

func (d *icuDecoder) drain(s runeSink) {
	b := d.out
	for len(b) > 0 {
		if b[0] < 0x80 {
			n := 1
			if fastPaths {
				n = asciiRun(b)
				s.putASCII(b[:n])
			} else {
				s.put(rune(b[0]))
			}
			b = b[n:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		s.put(r)
		b = b[n:]
	}
	d.out = d.out[:0]
}

func (d *icuDecoder) write(p []byte, s runeSink) {
	if d.tab != nil {
		d.writeTable(p, s)
		return
	}
	for _, c := range p {
		d.out = d.d.Put(d.out, c)
	}
	if len(d.out) > 0 {
		d.drain(s)
	}
}

// writeTable is write for a single-byte charset: each byte is the code
// point of its table entry (a surrogate, which uni2utf8 cannot write, is
// U+FFFD).
func (d *icuDecoder) writeTable(p []byte, s runeSink) {
	for i := 0; i < len(p); {
		n := 0
		if d.asciiSame {
			n = asciiRun(p[i:])
		} else {
			for i+n < len(p) && p[i+n] < 0x80 && d.tab[p[i+n]] == uint16(p[i+n]) {
				n++
			}
		}
		if n > 0 {
			s.putASCII(p[i : i+n])
			i += n
			continue
		}
		r := rune(d.tab[p[i]])
		if r >= 0xd800 && r <= 0xdfff {
			r = replacementChar
		}
		s.put(r)
		i++
	}
}

func (d *icuDecoder) flush(s runeSink) {
	if d.tab != nil {
		return // a table keeps nothing back
	}
	d.out = d.d.Flush(d.out)
	d.drain(s)
}

func (d *icuDecoder) replacement(s runeSink) {
	if d.tab != nil {
		s.put(replacementChar)
		return
	}
	d.out = d.d.Replacement(d.out)
	d.drain(s)
}

func (d *icuDecoder) reset() {
	if d.d != nil {
		d.d.Reset()
	}
	d.out = d.out[:0]
}

// Transfer decodings (Cyrus ENCODING_* numbers, as in the SECTION cache
// item).
const (
	EncodingNone    = 0
	EncodingQP      = 1
	EncodingBase64  = 2
	EncodingUnknown = 0xff
)

// qpDecoder is qp2byte: lines are collected (CR dropped, at most 998
// bytes), trailing blanks stripped, "=XX" decoded, a final "=" joins
// lines, an invalid escape is kept as '='; in headers '_' is a space.
type qpDecoder struct {
	header bool
	line   [1000]byte
	n      int
}

func (q *qpDecoder) flushLine(dst []byte, endline bool) []byte {
	l := q.line[:q.n]
	for len(l) > 0 && (l[len(l)-1] == ' ' || l[len(l)-1] == '\t') {
		l = l[:len(l)-1]
	}
	for i := 0; i < len(l); i++ {
		switch c := l[i]; c {
		case '=':
			if i+1 >= len(l) {
				endline = false // soft line break
				break
			}
			if i+2 < len(l) {
				v1, v2 := hexVal(l[i+1]), hexVal(l[i+2])
				if v1 >= 0 && v2 >= 0 {
					dst = append(dst, byte(v1<<4|v2))
					i += 2
					break
				}
			}
			dst = append(dst, '=')
		case '_':
			if q.header {
				dst = append(dst, ' ')
			} else {
				dst = append(dst, '_')
			}
		default:
			dst = append(dst, c)
		}
	}
	if endline {
		dst = append(dst, '\r', '\n')
	}
	q.n = 0
	return dst
}

func (q *qpDecoder) write(dst, p []byte) []byte {
	for _, c := range p {
		switch c {
		case '\r':
		case '\n':
			dst = q.flushLine(dst, true)
		default:
			q.line[q.n] = c
			q.n++
			if q.n > 998 {
				dst = q.flushLine(dst, false)
			}
		}
	}
	return dst
}

func (q *qpDecoder) flush(dst []byte) []byte { return q.flushLine(dst, false) }

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// b64Decoder is b64_2byte: characters outside the alphabet are ignored,
// '=' drops a partial quantum.
type b64Decoder struct {
	cp   uint32
	left int
}

var b64Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = int8(i)
	}
	t['='] = 64
	return t
}()

func (d *b64Decoder) write(dst, p []byte) []byte {
	for _, c := range p {
		b := b64Index[c]
		if b < 0 {
			continue
		}
		if b == 64 {
			d.cp, d.left = 0, 0
			continue
		}
		v := uint32(b)
		switch d.left {
		case 0:
			d.cp, d.left = v, 3
		case 3:
			dst = append(dst, byte(d.cp<<2|v>>4))
			d.cp, d.left = v, 2
		case 2:
			dst = append(dst, byte(d.cp<<4|v>>2))
			d.cp, d.left = v, 1
		case 1:
			dst = append(dst, byte(d.cp<<6|v))
			d.cp, d.left = 0, 0
		}
	}
	return dst
}

func (d *b64Decoder) flush(dst []byte) []byte { return dst }

// transferDecoder undoes a content transfer encoding.
type transferDecoder interface {
	write(dst, p []byte) []byte
	flush(dst []byte) []byte
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
