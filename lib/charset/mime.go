package charset

// RFC 2047 decoding of header text as Cyrus 3.6.1 does it for search
// (lib/charset.c mimeheader_cat, behind charset_search_mimeheader and
// charset_parse_mimeheader):
//   - an encoded word is "=?" charset ["*" lang] "?" B|Q "?" text "?=",
//     found anywhere, its text free of '?' and of "=?" not followed by '=';
//   - text between two encoded words is dropped only if it is all white
//     space; other text goes through the default charset (us-ascii, or
//     utf-8 with rfc2047_utf8) after unfolding (a CRLF before a blank is
//     removed; a CR or CRLF pending at the very end is lost);
//   - an unknown charset gives one U+FFFD for the whole word;
//   - adjacent words with the same charset and encoding share the
//     decoders, so base64 quanta and multi-byte characters may continue
//     from one word into the next;
//   - the input is a C string: it ends at the first NUL.

// unfolder is unfold2uni without skipping the blank.
type unfolder struct {
	state int
	buf   []byte
}

func (u *unfolder) feed(p []byte) []byte {
	out := u.buf[:0]
	for _, c := range p {
		switch u.state {
		case 0:
			if c == '\r' {
				u.state = 1
			} else {
				out = append(out, c)
			}
		case 1:
			if c == '\n' {
				u.state = 2
			} else {
				out = append(out, '\r', c)
				u.state = 0
			}
		case 2:
			if c != ' ' && c != '\t' {
				out = append(out, '\r', '\n')
			}
			out = append(out, c)
			u.state = 0
		}
	}
	u.buf = out
	return out
}

// cString cuts b at its first NUL.
func cString(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

func at(s []byte, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// mimeHeader decodes the header text s into sink.
func mimeHeader(s []byte, flags Flags, sink runeSink) {
	s = cString(s)
	newDefault := func() runeDecoder {
		if flags&MIMEUTF8 != 0 {
			return &utf8Decoder{}
		}
		return asciiDecoder{}
	}
	input := newDefault()
	switchTo := func(d runeDecoder) {
		input.flush(sink)
		input.reset()
		input = d
	}
	var unfold unfolder
	var (
		lastCanon = "unknown"
		lastEnc   = EncodingUnknown
		extract   transferDecoder
		tmp       []byte
	)
	resetPipeline := func() {
		lastCanon, lastEnc, extract = "unknown", EncodingUnknown, nil
	}
	eat := false
	sPos, start := 0, 0
	for {
		i := -1
		for j := start; j < len(s); j++ {
			if s[j] == '=' {
				i = j
				break
			}
		}
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
		enc := p
		if endCharset < 0 {
			endCharset = p
		}
		e1 := at(s, enc+1)
		if (e1 != 'b' && e1 != 'B' && e1 != 'q' && e1 != 'Q') || at(s, enc+2) != '?' {
			start = p
			continue
		}
		for p = enc + 3; p < len(s) && s[p] != '?'; p++ {
			if s[p] == '=' && at(s, p+1) == '?' && at(s, p+2) != '=' {
				break
			}
		}
		if at(s, p) != '?' || at(s, p+1) != '=' {
			start = p
			continue
		}
		end := p

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
			switchTo(newDefault())
			input.write(unfold.feed(s[sPos:start-1]), sink)
			input.flush(sink)
			resetPipeline()
		}

		name := string(s[start+1 : endCharset])
		encoding := EncodingBase64
		if e1 == 'q' || e1 == 'Q' {
			encoding = EncodingQP
		}
		text := s[enc+3 : end]
		cs := lookup(name)
		switch {
		case cs == nil:
			input.replacement(sink)
			switchTo(newDefault())
			resetPipeline()
		case cs.canon == lastCanon && encoding == lastEnc:
			tmp = extract.write(tmp[:0], text)
			tmp = extract.flush(tmp)
			input.write(tmp, sink)
			input.flush(sink)
		default:
			switchTo(cs.decoder())
			resetPipeline()
			if encoding == EncodingQP {
				extract = &qpDecoder{header: true}
			} else {
				extract = &b64Decoder{}
			}
			tmp = extract.write(tmp[:0], text)
			tmp = extract.flush(tmp)
			input.write(tmp, sink)
			input.flush(sink)
			lastCanon, lastEnc = cs.canon, encoding
		}
		sPos = end + 2
		start = sPos
		eat = true
	}
	if sPos < len(s) {
		switchTo(newDefault())
		input.write(unfold.feed(s[sPos:]), sink)
		input.flush(sink)
	}
}
