package message

// Content-Transfer-Encoding decoders with Cyrus 3.6.1's exact tolerance
// (lib/charset.c qp2byte/qp_flushline and b64_2byte), used both for the
// SHA-1 of decoded part content in the SECTION item and for RFC 2047
// encoded words.

// Cyrus's ENCODING_* values (lib/charset.h), as stored in the SECTION item.
const (
	EncodingNone    = 0
	EncodingQP      = 1
	EncodingBase64  = 2
	EncodingB64URL  = 3 // never produced from a message header
	EncodingUnknown = 0xff
)

// byteSink receives decoded bytes.
type byteSink interface {
	Write(p []byte) (int, error)
}

// transferDecoder decodes a transfer encoding incrementally.
type transferDecoder interface {
	write(p []byte)
	flush()
}

// qpDecoder is quoted-printable as Cyrus decodes it: CR is ignored, LF
// ends a line (written out as CRLF unless the line ends in a soft break),
// trailing blanks of a line are dropped, an '=' not followed by two hex
// digits is kept, lines are cut every 999 bytes, and in header mode '_'
// is a space.
type qpDecoder struct {
	header bool
	line   [1000]byte
	n      int
	out    []byte
	sink   byteSink
}

func newQP(header bool, sink byteSink) *qpDecoder {
	return &qpDecoder{header: header, sink: sink}
}

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

func (q *qpDecoder) flushLine(endline bool) {
	n := q.n
	for n > 0 && (q.line[n-1] == ' ' || q.line[n-1] == '\t') {
		n--
	}
	out := q.out[:0]
	for i := 0; i < n; i++ {
		c := q.line[i]
		switch c {
		case '=':
			if i+1 >= n {
				endline = false // soft line break
				continue
			}
			if i+2 < n {
				v1, v2 := hexVal(q.line[i+1]), hexVal(q.line[i+2])
				if v1 >= 0 && v2 >= 0 {
					out = append(out, byte(v1<<4|v2))
					i += 2
					continue
				}
			}
			out = append(out, '=')
		case '_':
			if q.header {
				out = append(out, ' ')
			} else {
				out = append(out, '_')
			}
		default:
			out = append(out, c)
		}
	}
	if endline {
		out = append(out, '\r', '\n')
	}
	q.n = 0
	q.out = out
	if len(out) > 0 {
		q.sink.Write(out)
	}
}

func (q *qpDecoder) write(p []byte) {
	for _, c := range p {
		switch c {
		case '\r':
		case '\n':
			q.flushLine(true)
		default:
			q.line[q.n] = c
			q.n++
			if q.n > 998 {
				q.flushLine(false)
			}
		}
	}
}

func (q *qpDecoder) flush() { q.flushLine(false) }

// b64Decoder is base64 as Cyrus decodes it: characters outside the
// alphabet are skipped, and '=' resets the quantum wherever it appears.
type b64Decoder struct {
	left int
	cp   byte
	out  []byte
	sink byteSink
}

// b64Val: 0..63 for the alphabet, 64 for '=', -1 for anything else.
var b64Val = func() (t [256]int8) {
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

func newB64(sink byteSink) *b64Decoder { return &b64Decoder{sink: sink} }

func (d *b64Decoder) write(p []byte) {
	out := d.out[:0]
	for _, c := range p {
		v := b64Val[c]
		if v < 0 {
			continue
		}
		b := byte(v)
		if v == 64 {
			d.cp, d.left = 0, 0
			continue
		}
		switch d.left {
		case 0:
			d.cp, d.left = b, 3
		case 3:
			out = append(out, d.cp<<2|b>>4)
			d.cp, d.left = b, 2
		case 2:
			out = append(out, d.cp<<4|b>>2)
			d.cp, d.left = b, 1
		case 1:
			out = append(out, d.cp<<6|b)
			d.cp, d.left = 0, 0
		}
	}
	d.out = out
	if len(out) > 0 {
		d.sink.Write(out)
	}
}

func (d *b64Decoder) flush() {}

// passDecoder is the identity (7bit, 8bit, binary).
type passDecoder struct{ sink byteSink }

func (p passDecoder) write(b []byte) { p.sink.Write(b) }
func (p passDecoder) flush()         {}

// newTransferDecoder returns the decoder for a Cyrus encoding code, or nil
// if Cyrus cannot decode it (its GUID is then all zeros).
func newTransferDecoder(enc int, sink byteSink) transferDecoder {
	switch enc {
	case EncodingNone:
		return passDecoder{sink}
	case EncodingQP:
		return newQP(false, sink)
	case EncodingBase64:
		return newB64(sink)
	}
	return nil
}

// DecodeBody decodes content of a part with a Cyrus encoding code, the
// way Cyrus serves FETCH BINARY[...] (charset_decode_mimebody); ok is
// false for an encoding Cyrus cannot decode.
func DecodeBody(content []byte, enc int) (decoded []byte, ok bool) {
	if enc == EncodingNone {
		return content, true
	}
	var sink sliceSink
	d := newTransferDecoder(enc, &sink)
	if d == nil {
		return nil, false
	}
	d.write(content)
	d.flush()
	return sink.b, true
}

type sliceSink struct{ b []byte }

func (s *sliceSink) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}
