package sieve

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// The checks Cyrus's parser makes on argument values. Each reports its
// own error and returns false when the value is refused.

// checkMatchVars refuses ${N} with N > 9 (RFC 5229 3: only ${0}..${9}
// need be supported), once variables are required.
func (p *parser) checkMatchVars(s string) bool {
	if !p.has(capVariables) {
		return true
	}
	for i := 0; ; {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			return true
		}
		i += j + 2
		k := i
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k == i || k >= len(s) || s[k] != '}' {
			i = k
			continue
		}
		n, err := strconv.ParseInt(s[i:k], 10, 64)
		if err != nil || n > 9 {
			p.errorf("string '%s': match variable index > 9 unsupported", s)
			return false
		}
		i = k
	}
}

// containsVariable says whether s holds a variable reference, when
// variables are required; values that do are not checked at compile
// time.
func (p *parser) containsVariable(s string) bool {
	if !p.has(capVariables) {
		return false
	}
	for i := 0; ; {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			return false
		}
		k := i + j + 2
		isID := false
		for {
			switch {
			case k < len(s) && s[k] >= '0' && s[k] <= '9':
				for k < len(s) && s[k] >= '0' && s[k] <= '9' {
					k++
				}
			case k < len(s) && (isAlpha(s[k]) || s[k] == '_'):
				for k++; k < len(s) && (isAlpha(s[k]) || s[k] >= '0' && s[k] <= '9' || s[k] == '_'); k++ {
				}
				isID = true
			default:
				k = -1
			}
			if k < 0 {
				break
			}
			if k < len(s) && s[k] == '}' {
				return true
			}
			if isID && k+1 < len(s) && s[k] == '.' {
				k++
				continue
			}
			break
		}
		i = i + j + 2
	}
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isIdentifier: (ALPHA / "_") *(ALPHA / DIGIT / "_"); the empty string
// passes, as in Cyrus.
func isIdentifier(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || isAlpha(c) || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (p *parser) checkIdentifier(s string) bool {
	if !isIdentifier(s) {
		p.errorf("string '%s': not a valid sieve identifier", s)
		return false
	}
	return true
}

// validUTF8 is Cyrus's test (RFC 2640 annex B.1), which still takes the
// five- and six-byte forms of old UTF-8 and, as it stops only after
// moving past a bad byte, does not see a bad lead byte at the very end
// ("a\xff" passes, "\xffa" does not).
func validUTF8(s string) bool {
	trailing := 0
	var mask2 byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if trailing > 0 {
			if c&0xc0 != 0x80 {
				return false
			}
			if mask2 != 0 {
				if c&mask2 == 0 {
					return false
				}
				mask2 = 0
			}
			trailing--
			continue
		}
		bad := false
		switch {
		case c&0x80 == 0:
		case c&0xe0 == 0xc0:
			if c&0x1e == 0 {
				bad = true
			} else {
				trailing = 1
			}
		case c&0xf0 == 0xe0:
			if c&0x0f == 0 {
				mask2 = 0x20
			}
			trailing = 2
		case c&0xf8 == 0xf0:
			if c&0x07 == 0 {
				mask2 = 0x30
			}
			trailing = 3
		case c&0xfc == 0xf8:
			if c&0x03 == 0 {
				mask2 = 0x38
			}
			trailing = 4
		case c&0xfe == 0xfc:
			if c&0x01 == 0 {
				mask2 = 0x3c
			}
			trailing = 5
		default:
			bad = true
		}
		if bad {
			return i == len(s)-1
		}
	}
	return trailing == 0
}

func (p *parser) checkUTF8(s string) bool {
	if !validUTF8(s) {
		p.errorf("string '%s': not valid utf8", s)
		return false
	}
	return true
}

func (p *parser) checkMailbox(s string) bool {
	if !p.checkUTF8(s) {
		p.errorf("mailbox '%s': not a valid mailbox", s)
		return false
	}
	return true
}

// checkHeader: a field name is printable ASCII but ':' (RFC 5322 3.6.8).
func (p *parser) checkHeader(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 33 && c <= 57 || c >= 59 && c <= 126) {
			p.errorf("header '%s': not a valid header", h)
			return false
		}
	}
	return true
}

var addressHeaders = map[string]bool{
	"from": true, "sender": true, "reply-to": true, "to": true, "cc": true, "bcc": true,
	"message-id": true, "in-reply-to": true, "references": true, "resent-from": true,
	"resent-sender": true, "resent-to": true, "resent-cc": true, "resent-bcc": true,
	"return-path": true, "disposition-notification-to": true, "approved": true,
	"delivered-to": true,
}

// checkAddrHeader is the address test's header check; under
// rfc3028_strict Cyrus lower-cases the name in place, which is what the
// bytecode then holds.
func (p *parser) checkAddrHeader(h *string) bool {
	if p.containsVariable(*h) {
		return true
	}
	if !p.o.RFC3028Strict {
		return p.checkHeader(*h)
	}
	*h = asciiLower(*h)
	if addressHeaders[*h] {
		return true
	}
	p.errorf("header '%s': not a valid header for an address test", *h)
	return false
}

// checkEnvelope lower-cases the envelope part in place, as Cyrus does.
func (p *parser) checkEnvelope(e *string) bool {
	if p.containsVariable(*e) {
		return true
	}
	*e = asciiLower(*e)
	if !p.o.RFC3028Strict || *e == "from" || *e == "to" || *e == "auth" {
		return true
	}
	p.errorf("env-part '%s': not a valid part for an envelope test", *e)
	return false
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (p *parser) checkAddress(s string) bool {
	if p.containsVariable(s) {
		return true
	}
	if msg := parseAddress(s); msg != "" {
		p.errorf("address '%s': %s", s, msg)
		return false
	}
	return true
}

// checkList runs check on each item until one fails.
func (p *parser) checkList(l []string, check func(string) bool) bool {
	for _, s := range l {
		if !check(s) {
			return false
		}
	}
	return true
}

// comp is a test's comparator: match type, relation, collation, index;
// -1 is "not given".
type comp struct {
	match, relation, collation, index int32
}

func newComp() comp { return comp{-1, -1, -1, 0} }

// indexLastFirst marks ":last" seen before ":index".
const indexLastFirst = math.MinInt32

func (c *comp) args() []arg {
	return []arg{argInt(c.match), argInt(c.relation), argInt(c.collation)}
}

// canon fills in the defaults (RFC 5228 2.7.1, 2.7.3) and refuses the
// match types a comparator cannot do (RFC 4790 9.1; Cyrus also wants
// i;ascii-numeric for :count).
func (p *parser) canon(c *comp) {
	if c.match == -1 {
		c.match = bIs
	}
	if c.collation == -1 {
		c.collation = bASCIICasemap
	}
	if c.collation == bASCIINumeric {
		bad := map[int32]string{bContains: ":contains", bMatches: ":matches", bRegex: ":regex"}[c.match]
		if bad != "" {
			p.errorf(errMatchIncompat, bad, "i;ascii-numeric")
		}
	} else if c.match == bCount {
		name := "i;ascii-casemap"
		if c.collation == bOctet {
			name = "i;octet"
		}
		p.errorf(errMatchIncompat, ":count", name)
	}
}

// checkPatterns is Cyrus's verify_patternlist: the values, then the
// comparator, then the regular expressions.
func (p *parser) checkPatterns(l []string, c *comp, check func(string) bool) {
	if check != nil && !p.checkList(l, check) {
		return
	}
	p.canon(c)
	if c.match != bRegex {
		return
	}
	for _, s := range l {
		if p.has(capVariables) && strings.Contains(s, "${") {
			continue
		}
		if msg := checkRegex(s); msg != "" {
			p.errorf("%s", msg)
			return
		}
	}
}

// flagList is Cyrus's verify_flaglist, run unless variables are
// required: the flags are split at spaces, system flags lower-cased and
// unknown ones dropped, atoms kept once (case-insensitively); an empty
// result becomes the one flag "".
func (p *parser) flagList(l []string) []string {
	if p.has(capVariables) {
		return l
	}
	var out []string
	for _, f := range strings.Split(strings.Join(l, " "), " ") {
		f = strings.TrimFunc(f, func(r rune) bool { return r < 0x80 && isCSpace(byte(r)) })
		if f == "" {
			continue
		}
		if f[0] == '\\' {
			f = asciiLower(f)
			switch f {
			case "\\seen", "\\answered", "\\flagged", "\\draft", "\\deleted":
			default:
				continue
			}
		} else if !isAtom(f) {
			continue
		}
		dup := false
		for _, o := range out {
			if strings.EqualFold(o, f) {
				dup = true
			}
		}
		if !dup {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// isAtom is Cyrus's imparse_isatom (which lets 0x1f through).
func isAtom(s string) bool {
	if s == "" || len(s) >= 1024 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c&0x80 != 0 || c < 0x1f || c == 0x7f || strings.IndexByte(` {()"%*\`, c) >= 0 {
			return false
		}
	}
	return true
}

var dateParts = map[string]int32{
	"year": 64, "month": 65, "day": 66, "date": 67, "julian": 68, "hour": 69, "minute": 70,
	"second": 71, "time": 72, "iso8601": 73, "std11": 74, "zone": 75, "weekday": 76,
}

func (p *parser) datePart(s string) int32 {
	if v, ok := dateParts[asciiLower(s)]; ok {
		return v
	}
	p.errorf("invalid date-part '%s'", s)
	return 0
}

// isISO8601 is Cyrus's time_from_iso8601 check: date and time,
// optional fraction, Z or an offset, and a real calendar date.
func isISO8601(s string) bool {
	num := func(s string) (int, bool) {
		n, err := strconv.Atoi(s)
		return n, err == nil && s[0] != '+' && s[0] != '-'
	}
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return false
	}
	y, ok1 := num(s[0:4])
	mo, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	h, ok4 := num(s[11:13])
	mi, ok5 := num(s[14:16])
	se, ok6 := num(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return false
	}
	r := s[19:]
	if r[0] == '.' {
		r = r[1:]
		for len(r) > 0 && r[0] >= '0' && r[0] <= '9' {
			r = r[1:]
		}
	}
	if r == "" {
		return false
	}
	switch r[0] {
	case 'Z':
	case '+', '-':
		if len(r) < 6 || r[3] != ':' {
			return false
		}
		if _, ok := num(r[1:3]); !ok {
			return false
		}
		if _, ok := num(r[4:6]); !ok {
			return false
		}
	default:
		return false
	}
	mdays := []int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60 {
		return false
	}
	md := mdays[mo-1]
	if mo == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		md = 29
	}
	return d <= md
}

// snoozeTime parses HH:MM:SS as glibc's strptime("%T") does (one or two
// digits each, blanks before numbers) into seconds of the day.
func snoozeTime(s string) (int32, bool) {
	var v [3]int
	limits := [3]int{23, 59, 61}
	i := 0
	for k := 0; k < 3; k++ {
		if k > 0 {
			if i >= len(s) || s[i] != ':' {
				return 0, false
			}
			i++
		}
		for i < len(s) && isCSpace(s[i]) {
			i++
		}
		n, digits := 0, 0
		for i < len(s) && digits < 2 && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + int(s[i]-'0')
			i++
			digits++
		}
		if digits == 0 || n > limits[k] {
			return 0, false
		}
		v[k] = n
	}
	if i != len(s) {
		return 0, false
	}
	return int32(3600*v[0] + 60*v[1] + v[2]), true
}

func sortVals(v []int32) {
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
}

// quoteList is how Cyrus lists unsupported requires.
func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = "\"" + s + "\""
	}
	return strings.Join(q, ", ")
}
