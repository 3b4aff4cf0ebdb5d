package message

// RFC 2047 decoding exactly as Cyrus 3.6.1's charset_parse_mimeheader()
// (lib/charset.c mimeheader_cat): what the SUBJECT and FROM/TO/CC/BCC
// cache items contain.
//
// Rules that differ from a textbook decoder:
//   - an encoded word is "=?" charset ["*" lang] "?" (B|Q) "?" text "?=",
//     where text may not contain '?' nor "=?" followed by anything but '=';
//     words are found anywhere, not only between blanks;
//   - text between two encoded words is dropped only if it is all blanks;
//   - text outside encoded words goes through the default charset
//     (us-ascii, so 8-bit bytes become U+FFFD; utf-8 with rfc2047_utf8);
//   - an unknown charset yields a single U+FFFD for the whole word;
//   - adjacent words (only blanks between) with the same charset and
//     encoding share the decoder: base64 quanta and UTF-8 sequences may
//     continue from one word into the next;
//   - the result is used as a C string: it ends at the first NUL.

type mimeFlags int

const (
	// flagMIMEUTF8 is CHARSET_MIME_UTF8 (imapd.conf rfc2047_utf8).
	flagMIMEUTF8 mimeFlags = 1 << iota
)

// headerDecoder is the pipeline of mimeheader_cat: an unfold filter in
// front of the current charset converter, whose UTF-8 output collects in
// out.
type headerDecoder struct {
	out    []byte
	cur    toUni // "input" converter
	unfold int   // unfold2uni state: 0, 1 (saw CR), 2 (saw CRLF)
}

func (h *headerDecoder) switchTo(cs *charset) {
	// convert_switch: flush the old converter (ICU), then start afresh.
	if h.cur != nil {
		if _, ok := h.cur.(*bufferedToUni); ok {
			h.out = h.cur.flush(h.out)
		}
		h.cur.reset()
	}
	h.cur = newToUni(cs)
}

// putText sends raw header text through unfold2uni and the converter,
// then flushes the converter (convert_catn).
func (h *headerDecoder) putText(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch h.unfold {
		case 0:
			if c == '\r' {
				h.unfold = 1
			} else {
				h.out = h.cur.put(h.out, c)
			}
		case 1:
			if c == '\n' {
				h.unfold = 2
			} else {
				h.out = h.cur.put(h.out, '\r')
				h.out = h.cur.put(h.out, c)
				h.unfold = 0
			}
		case 2:
			if c != ' ' && c != '\t' {
				h.out = h.cur.put(h.out, '\r')
				h.out = h.cur.put(h.out, '\n')
			}
			h.out = h.cur.put(h.out, c)
			h.unfold = 0
		}
	}
	h.out = h.cur.flush(h.out)
}

// Write receives bytes from a transfer decoder into the converter.
func (h *headerDecoder) Write(p []byte) (int, error) {
	for _, c := range p {
		h.out = h.cur.put(h.out, c)
	}
	return len(p), nil
}

// decodeMIMEHeader is charset_parse_mimeheader(s, flags).
func decodeMIMEHeader(s string, flags mimeFlags) string {
	var defaultCS *charset
	if flags&flagMIMEUTF8 != 0 {
		defaultCS = utf8Charset()
	} else {
		defaultCS = asciiCharset()
	}
	h := &headerDecoder{}
	h.cur = newToUni(defaultCS)

	var (
		lastCS  *charset
		lastEnc = EncodingUnknown
		extract transferDecoder
		eat     bool
	)
	resetPipeline := func() {
		lastCS, lastEnc, extract = nil, EncodingUnknown, nil
	}

	sPos := 0 // start of text not yet copied ("s" in C)
	start := 0
	for {
		i := indexByteFrom(s, start, '=')
		if i < 0 {
			break
		}
		start = i + 1
		if at(s, start) != '?' {
			continue
		}
		endCharset := -1
		p := start + 1
		for ; p < len(s) && s[p] != '=' && s[p] != '?'; p++ {
			if s[p] == '*' && endCharset < 0 {
				endCharset = p
			}
		}
		if at(s, p) != '?' {
			start = p
			continue
		}
		encPos := p
		if endCharset < 0 {
			endCharset = p
		}
		e1 := at(s, encPos+1)
		if (e1 != 'b' && e1 != 'B' && e1 != 'q' && e1 != 'Q') || at(s, encPos+2) != '?' {
			start = p
			continue
		}
		for p = encPos + 3; p < len(s) && s[p] != '?'; p++ {
			if s[p] == '=' && at(s, p+1) == '?' && at(s, p+2) != '=' {
				break
			}
		}
		if at(s, p) != '?' || at(s, p+1) != '=' {
			start = p
			continue
		}
		end := p

		// A valid encoded word. Copy the text before it unless it is
		// only blanks between two encoded words.
		if eat {
			q := sPos
			for q < start-1 && isSpace(s[q]) {
				q++
			}
			if q < start-1 {
				eat = false
			}
		}
		if !eat {
			h.switchTo(defaultCS)
			h.putText(s[sPos : start-1])
			resetPipeline()
		}

		cs := lookupCharset(s[start+1 : endCharset])
		enc := EncodingBase64
		if e1 == 'q' || e1 == 'Q' {
			enc = EncodingQP
		}
		text := s[encPos+3 : end]
		switch {
		case cs == nil:
			h.out = h.cur.replacement(h.out)
			h.switchTo(defaultCS)
			resetPipeline()
		case extract != nil && cs.canonName() == lastCS.canonName() && enc == lastEnc:
			extract.write([]byte(text))
			extract.flush()
			h.out = h.cur.flush(h.out)
		default:
			h.switchTo(cs)
			resetPipeline()
			if enc == EncodingQP {
				extract = newQP(true, h)
			} else {
				extract = newB64(h)
			}
			extract.write([]byte(text))
			extract.flush()
			h.out = h.cur.flush(h.out)
			lastCS, lastEnc = cs, enc
		}
		sPos = end + 2
		start = sPos
		eat = true
	}
	if sPos < len(s) {
		h.switchTo(defaultCS)
		h.putText(s[sPos:])
	}
	return cString(h.out)
}

// cString cuts b at its first NUL, as C code reading it would.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func indexByteFrom(s string, from int, c byte) int {
	for i := from; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// at returns s[i], or 0 past the end (C's terminating NUL).
func at(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}

// isSpace is isspace() in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// parseMIMEXValue is charset_parse_mimexvalue(): decode an RFC 2231
// extended value "charset'lang'%XX..." to UTF-8; ok is false if it is not
// one.
func parseMIMEXValue(s string) (string, bool) {
	q := indexByteFrom(s, 0, '\'')
	if q < 0 {
		return "", false
	}
	cs := lookupCharset(s[:q])
	if cs == nil {
		return "", false
	}
	q2 := indexByteFrom(s, q+1, '\'')
	if q2 < 0 {
		return "", false
	}
	var raw []byte
	for p := q2 + 1; p < len(s); {
		if s[p] == '%' {
			if p+2 >= len(s) {
				return "", false
			}
			v1, v2 := hexVal(s[p+1]), hexVal(s[p+2])
			if v1 < 0 || v2 < 0 {
				return "", false
			}
			raw = append(raw, byte(v1<<4|v2))
			p += 3
			continue
		}
		raw = append(raw, s[p])
		p++
	}
	// charset_to_utf8(..., ENCODING_NONE) converts the whole block with
	// ICU's ucnv_convert (or Cyrus's own table).
	if len(raw) == 0 {
		return "", true
	}
	conv := newToUni(cs)
	var out []byte
	for _, c := range raw {
		out = conv.put(out, c)
	}
	out = conv.flush(out)
	return cString(out), true
}
