package message

import "strings"

// Parsers for the MIME header fields, ported from Cyrus 3.6.1
// imap/message.c so that every quirk of the original survives: they work
// on the rest of the header block as a C string starting right after the
// field's colon, a position of -1 stands for C's NULL ("end of field"),
// and bytes >= 0x80 count as control characters where Cyrus compares a
// signed char with ' '.

const mimeTSpecials = "()<>@,;:\\\"/[]?="

// param is one MIME parameter (attribute uppercased by the parser).
type param struct {
	attr  string
	value string
	next  *param
}

// signedLess is the C test `*p < ' '` on a signed char.
func signedLess(c byte) bool { return c < ' ' || c >= 0x80 }

// rfc822Space skips blanks, folding and comments; -1 at the end of the
// field.
func rfc822Space(s string, p int) int {
	if p < 0 {
		return -1
	}
	for at(s, p) != 0 && (isSpace(at(s, p)) || at(s, p) == '(') {
		switch at(s, p) {
		case '\n':
			p++
			if at(s, p) != ' ' && at(s, p) != '\t' {
				return -1
			}
		case '(':
			p++
			level := 1
			for level > 0 {
				switch at(s, p) {
				case '\n':
					p++
					if at(s, p) != ' ' && at(s, p) != '\t' {
						return -1
					}
				case 0:
					return -1
				case '\\':
					p++
				case '(':
					level++
				case ')':
					level--
				}
				p++
			}
		default:
			p++
		}
	}
	if at(s, p) == 0 {
		return -1
	}
	return p
}

// fieldEnd finds the end of the field starting at p: the first LF not
// followed by a blank (searched from p+1, as Cyrus does), before a CR;
// the end of the string if there is none.
func fieldEnd(s string, p int) int {
	e := p
	for {
		n := indexByteFrom(s, e+1, '\n')
		if n < 0 {
			return len(s)
		}
		e = n
		if c := at(s, e+1); c != ' ' && c != '\t' {
			break
		}
	}
	if e > p && at(s, e-1) == '\r' {
		e--
	}
	return e
}

// parseString is message_parse_string(): the unfolded, uninterpreted
// value (leading blanks skipped, every CRLF/LF removed).
func parseString(s string, p int) string {
	for at(s, p) == ' ' || at(s, p) == '\t' {
		p++
	}
	if p >= len(s) {
		return ""
	}
	v := s[p:fieldEnd(s, p)]
	if strings.IndexByte(v, '\n') < 0 {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\r' && i+1 < len(v) && v[i+1] == '\n' {
			continue
		}
		if v[i] == '\n' {
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// cachedHeader is message_parse_header(): the raw field including its
// continuation lines, ending in CRLF.
func cachedHeader(s string, p int) string {
	return s[p:fieldEnd(s, p)] + "\r\n"
}

// parseEncoding is message_parse_encoding(); ok=false leaves the
// encoding unset.
func parseEncoding(s string, p int) (string, bool) {
	p = rfc822Space(s, p)
	if p < 0 {
		return "", false
	}
	start := p
	for ; at(s, p) != 0 && !isSpace(at(s, p)) && at(s, p) != '('; p++ {
		if signedLess(at(s, p)) || containsByte(mimeTSpecials, at(s, p)) {
			return "", false
		}
	}
	tok := s[start:p]
	if rfc822Space(s, p) >= 0 {
		return "", false
	}
	return asciiUpper(tok), true
}

func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// parseType is message_parse_type(); ok=false leaves type, subtype and
// parameters unset.
func parseType(s string, p int) (typ, subtype string, params *param, ok bool) {
	return parseTypeIn(s, p, lastDecodeTrigger(s))
}

// lastDecodeTrigger returns the index of the last byte in s that RFC 2047
// decoding would change (see decodeTypeHeader), or -1.
func lastDecodeTrigger(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		switch c := s[i]; {
		case c >= 0x80:
			return i
		case c == '=' && i+1 < len(s) && s[i+1] == '?':
			return i
		case c == '\n' && i > 0 && s[i-1] == '\r' && i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t'):
			return i
		}
	}
	return -1
}

// parseTypeIn is parseType with lastDecodeTrigger(s) already known.
func parseTypeIn(s string, p int, lastTrigger int) (typ, subtype string, params *param, ok bool) {
	p = rfc822Space(s, p)
	if p < 0 {
		return "", "", nil, false
	}
	decoded := false
	// Very old Mail.app encoded the whole Content-Type as an RFC 2047
	// word: Cyrus decodes the rest of the header block and parses that.
	if len(s)-p > 2 && s[p] == '=' && s[p+1] == '?' {
		if dec, changed := decodeTypeHeader(s[p:], lastTrigger-p); changed {
			s, p, decoded = dec, 0, true
		}
	}
	tstart := p
	for ; at(s, p) != 0 && !isSpace(at(s, p)) && at(s, p) != '/' && at(s, p) != '('; p++ {
		if signedLess(at(s, p)) || containsByte(mimeTSpecials, at(s, p)) {
			return "", "", nil, false
		}
	}
	tend := p
	if p = rfc822Space(s, p); p < 0 {
		return "", "", nil, false
	}
	if at(s, p) != '/' {
		return "", "", nil, false
	}
	p++
	if p = rfc822Space(s, p); p < 0 {
		return "", "", nil, false
	}
	sstart := p
	for ; at(s, p) != 0 && !isSpace(at(s, p)) && at(s, p) != ';' && at(s, p) != '('; p++ {
		if signedLess(at(s, p)) || containsByte(mimeTSpecials, at(s, p)) {
			return "", "", nil, false
		}
	}
	send := p
	p = rfc822Space(s, p)
	if p >= 0 && at(s, p) != ';' {
		return "", "", nil, false
	}
	typ, subtype = asciiUpper(s[tstart:tend]), asciiUpper(s[sstart:send])
	if p >= 0 {
		params = foldParams(parseParams(s, p+1))
		if decoded {
			for q := params; q != nil; q = q.next {
				if q.attr == "" || q.attr[len(q.attr)-1] == '*' {
					continue
				}
				high := false
				for i := 0; i < len(q.value); i++ {
					if q.value[i]&0x80 != 0 {
						high = true
						break
					}
				}
				if high {
					q.value = encodeMIMEHeader(q.value)
				}
			}
		}
	}
	return typ, subtype, params, true
}

// typeDecodeWindow bounds the work of decodeTypeHeader.
const typeDecodeWindow = 8192

// decodeTypeHeader is what message_parse_type() does with a Content-Type
// that starts with "=?": decode the whole rest of the header block (not
// just the field) and use the result if it differs from the original.
// Cyrus redoes this for every such field, which is quadratic; here only
// the field plus typeDecodeWindow bytes are decoded, and whether anything
// decoding would change (an encoded word, an 8-bit byte, a folded line)
// lies further on (lastTrigger, an index in rest) tells whether the
// result differs.
func decodeTypeHeader(rest string, lastTrigger int) (string, bool) {
	end := fieldEnd(rest, 0) + typeDecodeWindow
	if end >= len(rest) {
		dec := decodeMIMEHeader(rest, 0)
		return dec, dec != rest
	}
	dec := decodeMIMEHeader(rest[:end], 0)
	return dec, dec != rest[:end] || lastTrigger >= end
}

// parseDisposition is message_parse_disposition().
func parseDisposition(s string, p int) (disp string, params *param, ok bool) {
	p = rfc822Space(s, p)
	if p < 0 {
		return "", nil, false
	}
	start := p
	for ; at(s, p) != 0 && !isSpace(at(s, p)) && at(s, p) != ';' && at(s, p) != '('; p++ {
		if signedLess(at(s, p)) || containsByte(mimeTSpecials, at(s, p)) {
			return "", nil, false
		}
	}
	end := p
	p = rfc822Space(s, p)
	if p >= 0 && at(s, p) != ';' {
		return "", nil, false
	}
	disp = asciiUpper(s[start:end])
	if p >= 0 {
		params = foldParams(parseParams(s, p+1))
	}
	return disp, params, true
}

// skipParam is the "skip" label of message_parse_params: to the next ';'
// (past it) or to the CR/LF.
func skipParam(s string, p int) int {
	for p < len(s) && s[p] != ';' && s[p] != '\r' && s[p] != '\n' {
		p++
	}
	if at(s, p) == ';' {
		p++
	}
	return p
}

// parseParams is message_parse_params().
func parseParams(s string, p int) *param {
	var head *param
	tail := &head
	for {
		if p = rfc822Space(s, p); p < 0 {
			return head
		}
		astart := p
		bad := false
		for ; at(s, p) != 0 && !isSpace(at(s, p)) && at(s, p) != '=' && at(s, p) != '('; p++ {
			if signedLess(at(s, p)) || containsByte(mimeTSpecials, at(s, p)) {
				bad = true
				break
			}
		}
		if bad {
			p = skipParam(s, p)
			continue
		}
		attr := s[astart:p]
		if p = rfc822Space(s, p); p < 0 {
			return head
		}
		c := at(s, p)
		p++
		if c != '=' {
			p = skipParam(s, p)
			continue
		}
		if p = rfc822Space(s, p); p < 0 {
			return head
		}
		vstart := p
		quoted := at(s, p) == '"'
		if quoted {
			p++
			for at(s, p) != 0 && at(s, p) != '"' {
				if at(s, p) == '\\' {
					p++
					if at(s, p) == 0 {
						return head
					}
				}
				if at(s, p) == '\r' {
					if at(s, p+1) == '\n' && (at(s, p+2) == ' ' || at(s, p+2) == '\t') {
						p += 2
					} else {
						return head
					}
				}
				p++
			}
			c := at(s, p)
			p++
			if c == 0 {
				return head
			}
		} else {
			endval := p
			for at(s, p) != 0 && at(s, p) != ';' && at(s, p) != '(' {
				c := at(s, p)
				if c == '\r' {
					if at(s, p+1) == '\n' && (at(s, p+2) == ' ' || at(s, p+2) == '\t') {
						p += 2
						continue
					}
					break
				}
				if c&0x80 == 0 && c < ' ' && c != '\t' {
					bad = true
					break
				}
				if c != ' ' && c != '\t' {
					endval = p
				}
				p++
			}
			if bad {
				p = skipParam(s, p)
				continue
			}
			p = endval + 1
		}
		vend := p
		p = rfc822Space(s, p)
		if p >= 0 {
			c := at(s, p)
			p++
			if c != ';' {
				p = skipParam(s, p)
				continue
			}
		}
		var value string
		if quoted {
			var b strings.Builder
			v := vstart + 1
			for v < len(s) && s[v] != '"' {
				if s[v] == '\\' {
					v++
				} else if s[v] == '\r' {
					v += 2
				}
				b.WriteByte(at(s, v))
				v++
			}
			value = b.String()
		} else {
			value = s[vstart:min(vend, len(s))]
		}
		np := &param{attr: asciiUpper(attr), value: value}
		*tail = np
		tail = &np.next
		if p < 0 {
			return head
		}
	}
}

// needsPercent is the byte test of message_fold_params (on a signed char).
func needsPercent(c byte) bool {
	return c <= ' ' || c >= 0x7f || c == '*' || c == '\'' || c == '%' || containsByte(mimeTSpecials, c)
}

func percentEncode(b *strings.Builder, v string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(v); i++ {
		c := v[i]
		if needsPercent(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
}

// foldParams is message_fold_params(): joins RFC 2231 continuations
// "x*0", "x*1"... (up to x*99) into "x" or "x*". Cyrus searches the whole
// list for every continuation; an index by name gives the same first
// match without the quadratic cost.
func foldParams(head *param) *param {
	type entry struct {
		p   *param
		pos int
	}
	byName := map[string][]entry{}
	pos := 0
	for q := head; q != nil; q = q.next {
		byName[q.attr] = append(byName[q.attr], entry{q, pos})
		pos++
	}
	removed := map[*param]bool{}
	prev := map[*param]*param{}
	for q, p := head, (*param)(nil); q != nil; p, q = q, q.next {
		prev[q] = p
	}
	// first returns the earliest param still in the list and still named
	// name.
	first := func(name string) (*param, int) {
		for _, e := range byName[name] {
			if !removed[e.p] && e.p.attr == name {
				return e.p, e.pos
			}
		}
		return nil, -1
	}
	unlink := func(p *param) {
		removed[p] = true
		if pr := prev[p]; pr != nil {
			pr.next = p.next
		} else {
			head = p.next
		}
		if p.next != nil {
			prev[p.next] = prev[p]
		}
	}
	for this := head; this != nil; this = this.next {
		ast := strings.IndexByte(this.attr, '*')
		if ast < 0 || at(this.attr, ast+1) != '0' {
			continue
		}
		rest := this.attr[ast+2:]
		if rest != "" && rest != "*" {
			continue
		}
		extended := rest == "*"
		base := this.attr[:ast]
		this.attr = base
		for section := 1; section < 100; section++ {
			name := base + "*" + itoa(section)
			cont, cpos := first(name)
			ext, epos := first(name + "*")
			contExtended := false
			if ext != nil && (cont == nil || epos < cpos) {
				cont, contExtended = ext, true
			}
			if cont == nil {
				break
			}
			var b strings.Builder
			switch {
			case !contExtended && extended:
				b.WriteString(this.value)
				percentEncode(&b, cont.value)
			case !contExtended:
				b.WriteString(this.value)
				b.WriteString(cont.value)
			case extended:
				b.WriteString(this.value)
				b.WriteString(cont.value)
			default:
				b.WriteString("''")
				percentEncode(&b, this.value)
				b.WriteString(cont.value)
				extended = true
			}
			this.value = b.String()
			unlink(cont)
		}
		if extended {
			this.attr = base + "*"
		}
	}
	return head
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// parseLanguage is message_parse_language(): values uppercased; parsing
// stops (keeping what it has) at anything but letters and '-'.
func parseLanguage(s string, p int) *param {
	var head *param
	tail := &head
	for {
		if p = rfc822Space(s, p); p < 0 {
			return head
		}
		start := p
		for ; at(s, p) != 0 && !isSpace(at(s, p)) && at(s, p) != ',' && at(s, p) != '('; p++ {
			if at(s, p) != '-' && !isAlpha(at(s, p)) {
				return head
			}
		}
		end := p
		p = rfc822Space(s, p)
		if p >= 0 {
			c := at(s, p)
			p++
			if c != ',' {
				return head
			}
		}
		np := &param{value: asciiUpper(s[start:end])}
		*tail = np
		tail = &np.next
		if p < 0 {
			return head
		}
	}
}

const encodedMaxLineLen = 72 // ENCODED_MAX_LINE_LEN

// encodeMIMEHeader is charset_encode_mimeheader(value, len, 0): an
// address-like part is kept as is, other text with 8-bit bytes becomes
// "Q" encoded words in UTF-8, folded before 72 columns.
func encodeMIMEHeader(v string) string {
	if a, n, ok := findAddr(v, 0, len(v)); ok {
		return encodeAddrHeader(v, a, n)
	}
	return qpEncodeHeader(v)
}

const atomSpecials = "()<>[]:;@\\,.\" \t"

// atomSpecial is strchr(ATOM_SPECIALS, c): NUL counts too.
func atomSpecial(c byte) bool { return c == 0 || containsByte(atomSpecials, c) }

// findAddr is find_addr() on v[from:from+n]: the start and length of the
// first address in it.
func findAddr(v string, from, n int) (start, length int, ok bool) {
	if n < 3 || from >= len(v) {
		return 0, 0, false
	}
	end := from + n
	at := indexByteFrom(v, from+1, '@')
	if at < 0 || at >= end-1 {
		return 0, 0, false
	}
	e := at + 1
	angle := false
	switch c := at0(v, e); {
	case c == '[':
		for e++; e < end && !(v[e] == '[' || v[e] == ']' || v[e] == '\\'); e++ {
		}
		if at0(v, e) != ']' {
			return 0, 0, false
		}
		e++
	case !isSpace(c) && !atomSpecial(c):
		for e++; e < end && (v[e] == '.' || !atomSpecial(v[e])); e++ {
		}
		if at0(v, e-1) == '.' {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	if e < end {
		if v[e] == '>' {
			angle = true
			e++
		}
		for e < end && isSpace(v[e]) {
			e++
		}
		if e < end {
			c := v[e]
			e++
			if c != ',' {
				return 0, 0, false
			}
		}
		for e < end && isSpace(v[e]) {
			e++
		}
	}
	s := at - 1
	switch c := at0(v, s); {
	case c == '"':
		for {
			s--
			if s < from {
				break
			}
			if v[s] != '"' {
				continue
			}
			s--
			if !(s >= from && v[s] == '\\') {
				break
			}
		}
		if at0(v, s+1) != '"' {
			return 0, 0, false
		}
	case !isSpace(c) && !atomSpecial(c):
		for s--; s >= from && (v[s] == '.' || !atomSpecial(v[s])); s-- {
		}
		if at0(v, s+1) == '.' {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	switch {
	case s < from:
		s = from
	case angle:
		if v[s] != '<' {
			return 0, 0, false
		}
		for s > from && isSpace(v[s-1]) {
			s--
		}
	case !(isSpace(v[s]) || v[s] == ','):
		return 0, 0, false
	}
	return s, e - s, true
}

// at0 is at() for a possibly negative index.
func at0(s string, i int) byte { return at(s, i) }

// encodeAddrHeader is encode_addrheader(): phrases before an address are
// encoded if they hold 8-bit bytes, addresses and a trailing phrase are
// copied.
func encodeAddrHeader(v string, addr, addrLen int) string {
	var b strings.Builder
	n, cnt := 0, 0
	hasAddr := true
	for {
		phraseLen := len(v) - n
		if hasAddr {
			phraseLen = addr - n
		}
		if phraseLen > 0 {
			phrase := v[n : n+phraseLen]
			need, needBytes := false, phraseLen
			if hasAddr {
				for i := 0; i < len(phrase); i++ {
					if phrase[i]&0x80 != 0 {
						need, needBytes = true, 3*phraseLen+12
						break
					}
				}
			}
			if cnt+needBytes >= encodedMaxLineLen {
				b.WriteString("\r\n ")
				cnt = 1
			}
			if need {
				cnt = encodeMIMEPhrase(&b, phrase, cnt)
			} else {
				b.WriteString(phrase)
				cnt += phraseLen
			}
		}
		if hasAddr {
			if cnt+addrLen >= encodedMaxLineLen {
				b.WriteString("\r\n ")
				cnt = 1
			}
			b.WriteString(v[addr : addr+addrLen])
			cnt += addrLen
		}
		// Cyrus adds the last address length again after a trailing
		// phrase, which ends the loop.
		n += phraseLen + addrLen
		if n > len(v) {
			break
		}
		a, l, ok := findAddr(v, n, len(v)-n)
		if !ok && n >= len(v) {
			break
		}
		hasAddr = ok
		if ok {
			addr, addrLen = a, l
		}
	}
	return b.String()
}

// encodeMIMEPhrase is encode_mimephrase().
func encodeMIMEPhrase(b *strings.Builder, data string, cnt int) int {
	const hex = "0123456789ABCDEF"
	b.WriteString("=?UTF-8?Q?")
	cnt += 10
	for i := 0; i < len(data); i++ {
		c := data[i]
		need := 0
		switch {
		case c < 0x80, c < 0xc0:
		case c < 0xe0:
			need = 3
		case c < 0xf0:
			need = 6
		case c < 0xf8:
			need = 9
		}
		if cnt+need >= encodedMaxLineLen {
			b.WriteString("?=\r\n =?UTF-8?Q?")
			cnt = 11
		}
		switch {
		case isAlnum(c) || containsByte("!*+-/", c):
			b.WriteByte(c)
			cnt++
		case c == ' ':
			b.WriteByte('_')
			cnt++
		default:
			b.WriteByte('=')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			cnt += 3
		}
	}
	b.WriteString("?=")
	return cnt
}

// qpEncodeHeader is qp_encode(header, len, 1, 0): called only for values
// with 8-bit bytes, so always quoted.
func qpEncodeHeader(v string) string {
	var b strings.Builder
	b.WriteString("=?UTF-8?Q?")
	cnt := 10
	for n := 0; n < len(v); n++ {
		c := v[n]
		next := byte(0)
		if n < len(v)-1 {
			next = v[n+1]
		}
		need := 0
		switch {
		case c < 0x80, c < 0xc0:
		case c < 0xe0:
			need = 3
		case c < 0xf0:
			need = 6
		case c < 0xf8:
			need = 9
		}
		if cnt+need >= encodedMaxLineLen {
			b.WriteString("?=\r\n =?UTF-8?Q?")
			cnt = 11
		}
		switch {
		case qpSafe(c) && c != '?' && c != '_':
			b.WriteByte(c)
			cnt++
		case c == ' ':
			b.WriteByte('_')
			cnt++
		case c == '\r' && next == '\n':
			if n < len(v)-2 {
				if v[n+2] == ' ' || v[n+2] == '\t' {
					n++
				}
				b.WriteString("?=\r\n =?UTF-8?Q?")
				cnt = 12
			}
			n++
		default:
			const hex = "0123456789ABCDEF"
			b.WriteByte('=')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			cnt += 3
		}
	}
	b.WriteString("?=")
	return b.String()
}

// qpSafe: printable ASCII except '='.
func qpSafe(c byte) bool { return c > ' ' && c < 0x7f && c != '=' }
