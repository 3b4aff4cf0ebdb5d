package sieve

import (
	"strconv"
	"strings"
)

// The lexer follows Cyrus 3.6.1's flex scanner closely, because what it
// calls a token decides which scripts are errors and on which line:
//
//   - Words are not identifiers: the longest keyword or tag that starts
//     at the current position is the token, and a byte that starts none
//     is a token of its own ("ifx" is "if" then 'x'; "IF" is 'I' ...).
//   - The line of everything is the number of newlines consumed so far,
//     plus one: a token's line is the line it ends on, and an error
//     found while the parser looks at a token is reported on that line.
//   - After :comparator, :count, :value and :importance the scanner
//     expects the quoted value that belongs to the tag and turns it into
//     a token of its own; another quoted value is an error there.

type tokKind int

const (
	tEOF tokKind = iota
	tString
	tNumber
	tWord  // a keyword or a tag, in text
	tChar  // any other single byte, in ch
	tValue // the quoted value after :comparator, :count/:value or :importance, in text
)

type token struct {
	kind tokKind
	text string
	num  int
	ch   byte
}

type lexState int

const (
	lsInitial lexState = iota
	lsCollation
	lsRelation
	lsImportance
)

// keywords are every word and tag Cyrus's scanner knows, whether or not
// the extension behind it is implemented here: the split of an unknown
// word depends on them.
var keywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
if elsif else require stop anyof allof exists false true not header address envelope size :over :under
discard keep fileinto redirect :copy :comparator :is :contains :matches :regex :quoteregex :list valid_ext_list
:all :localpart :domain :user :detail body :raw :text :content environment string set :lower :upper
:lowerfirst :upperfirst :quotewildcard :length vacation :days :addresses :subject :from :handle :mime
:seconds :count :value setflag addflag removeflag hasflag :flags mark unmark date :originalzone :zone
currentdate :index :last addheader deleteheader reject ereject notify_method_capability valid_notify_method
notify :options :message :encodeurl :importance denotify :method :id :low :normal :high ihave error
mailboxexists :create metadata metadataexists servermetadata servermetadataexists :bytimerelative
:bytimeabsolute :bymode :bytrace :notify :ret include :personal :global :optional :once return duplicate
:header :uniqueid specialuse_exists :specialuse :fcc mailboxidexists :mailboxid snooze :mailbox :addflags
:removeflags :weekdays :tzid log jmapquery processimip :invitesonly :updatesonly :deletecanceled
:calendarid :outcome :errstr`) {
		m[w] = true
	}
	return m
}()

var maxKeyword = func() int {
	n := 0
	for k := range keywords {
		n = max(n, len(k))
	}
	return n
}()

// bracketComment returns the length of the longest match at the start
// of s of Cyrus's pattern for comments, "/*" ([^*] | "*"[^/])* "*"? "*/",
// or 0: flex takes the longest match, so a comment does not always end
// at the first "*/" ("/* **/ x */" is one comment).
func bracketComment(s []byte) int {
	if len(s) < 2 || s[0] != '/' || s[1] != '*' {
		return 0
	}
	// states: loop (in the repetition), star (a '*' that must be
	// followed by anything but '/'), opt (the optional '*'), end (the
	// '*' of the closing "*/")
	loop, star, opt, end := true, false, false, false
	best := 0
	for i := 2; i < len(s) && (loop || star || opt || end); i++ {
		c := s[i]
		nLoop, nStar, nOpt, nEnd := false, false, false, false
		if loop {
			if c == '*' {
				nStar, nOpt, nEnd = true, true, true
			} else {
				nLoop = true
			}
		}
		if star && c != '/' {
			nLoop = true
		}
		if opt && c == '*' {
			nEnd = true
		}
		if end && c == '/' {
			best = i + 1
		}
		loop, star, opt, end = nLoop, nStar, nOpt, nEnd
	}
	return best
}

type lexer struct {
	src   []byte
	pos   int
	line  int
	state lexState
	// encodedChar is set by the parser once "encoded-character" is
	// required: strings scanned from then on are decoded.
	encodedChar bool
	// errf reports a problem found by the scanner, on the current line.
	errf func(msg string)
	// stopped: a byte that ends the script for the parser was read.
	stopped bool
}

// charToken is the scanner's catch-all rule: one byte as a token.
// Cyrus returns it as a C char, so NUL and bytes from 0x80 up come out
// as 0 or negative, which bison takes for the end of the script: the
// rest of the file is never read.
func (l *lexer) charToken(c byte) token {
	l.advance(1)
	if c == 0 || c >= 0x80 {
		l.stopped = true
		return token{kind: tEOF}
	}
	return token{kind: tChar, ch: c}
}

func newLexer(src []byte, errf func(string)) *lexer {
	return &lexer{src: src, line: 1, errf: errf}
}

func (l *lexer) advance(n int) {
	for _, c := range l.src[l.pos : l.pos+n] {
		if c == '\n' {
			l.line++
		}
	}
	l.pos += n
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// next scans one token.
func (l *lexer) next() token {
	for {
		if l.pos >= len(l.src) || l.stopped {
			return token{kind: tEOF}
		}
		if l.state != lsInitial {
			if t, ok := l.quotedValue(); ok {
				return t
			}
			continue
		}
		c := l.src[l.pos]
		switch {
		case isWS(c):
			l.advance(1)
			continue
		case c == '#':
			n := 0
			for l.pos+n < len(l.src) && l.src[l.pos+n] != '\n' {
				n++
			}
			l.advance(n)
			continue
		case c == '/':
			if n := bracketComment(l.src[l.pos:]); n > 0 {
				l.advance(n)
				continue
			}
		case c == '"':
			l.advance(1)
			return l.quoted()
		case c >= '0' && c <= '9':
			return l.number()
		case c == 't':
			if n := l.textStart(); n > 0 {
				l.advance(n)
				return l.multiline()
			}
		}
		// the longest keyword starting here, else the byte alone
		best := 0
		for n := 1; n <= maxKeyword && l.pos+n <= len(l.src); n++ {
			if keywords[string(l.src[l.pos:l.pos+n])] {
				best = n
			}
		}
		if best == 0 {
			return l.charToken(c)
		}
		w := string(l.src[l.pos : l.pos+best])
		l.advance(best)
		switch w {
		case ":comparator":
			l.state = lsCollation
		case ":count", ":value":
			l.state = lsRelation
		case ":importance":
			l.state = lsImportance
		}
		return token{kind: tWord, text: w}
	}
}

// quotedValue scans in the states after :comparator and friends:
// blanks are skipped, a quoted string is the value (or an error when it
// is not one the tag takes), anything else is a token as usual.
func (l *lexer) quotedValue() (token, bool) {
	c := l.src[l.pos]
	if isWS(c) {
		l.advance(1)
		return token{}, false
	}
	if c == '"' {
		end := -1
		for i := l.pos + 1; i < len(l.src); i++ {
			if l.src[i] == '"' {
				end = i
				break
			}
		}
		if end >= 0 {
			raw := string(l.src[l.pos : end+1])
			v := raw[1 : len(raw)-1]
			l.advance(end + 1 - l.pos)
			st := l.state
			l.state = lsInitial
			var allowed []string
			var what string
			switch st {
			case lsCollation:
				allowed, what = []string{"i;octet", "i;ascii-casemap", "i;ascii-numeric"}, "unknown comparator-name %s"
			case lsRelation:
				allowed, what = []string{"eq", "ne", "gt", "ge", "lt", "le"}, "invalid relational-match %s"
			default:
				allowed, what = []string{"1", "2", "3"}, "invalid importance %s"
			}
			for _, a := range allowed {
				if v == a {
					return token{kind: tValue, text: v}, true
				}
			}
			l.errf(strings.Replace(what, "%s", raw, 1))
			return token{}, false
		}
	}
	// no rule of the state matches: the catch-all byte token, which
	// does not leave the state (a newline has no rule there but the
	// blank one, handled above)
	return l.charToken(c), true
}

// textStart returns the length of `text:` [blanks] [# comment] newline
// at the current position, or 0.
func (l *lexer) textStart() int {
	s := l.src[l.pos:]
	if len(s) < 5 || string(s[:5]) != "text:" {
		return 0
	}
	i := 5
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && s[i] == '#' {
		for i < len(s) && s[i] != '\n' {
			i++
		}
	}
	switch {
	case i+1 < len(s) && s[i] == '\r' && s[i+1] == '\n':
		return i + 2
	case i < len(s) && (s[i] == '\r' || s[i] == '\n'):
		// a comment may end in \r before \n; flex takes the longest
		// match, which includes the \r in the comment and ends at \n
		return i + 1
	}
	return 0
}

func (l *lexer) number() token {
	start := l.pos
	n := 0
	for l.pos+n < len(l.src) && l.src[l.pos+n] >= '0' && l.src[l.pos+n] <= '9' {
		n++
	}
	digits := string(l.src[l.pos : l.pos+n])
	var unit byte
	if l.pos+n < len(l.src) {
		switch l.src[l.pos+n] {
		case 'K', 'M', 'G', 'k', 'm', 'g':
			unit = l.src[l.pos+n]
			n++
		}
	}
	l.advance(n)
	text := string(l.src[start:l.pos])
	val, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		val = ^uint64(0) // strtoull's ERANGE: no unit applied
	} else {
		switch unit {
		case 'K', 'k':
			val <<= 10
		case 'M', 'm':
			val <<= 20
		case 'G', 'g':
			val <<= 30
		}
	}
	if val > 1<<31-1 {
		l.errf("number too large " + text)
	}
	return token{kind: tNumber, num: int(int32(uint32(val))), text: text}
}

// quoted scans the rest of a quoted string (the opening quote is read).
func (l *lexer) quoted() token {
	var b []byte
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '"':
			l.advance(1)
			return l.finishString(b)
		case c == '\\' && l.pos+1 < len(l.src) && l.src[l.pos+1] != '\n':
			b = append(b, l.src[l.pos+1])
			l.advance(2)
		default:
			b = append(b, c)
			l.advance(1)
		}
	}
	l.errf("unexpected end of file in string")
	return token{kind: tEOF}
}

// multiline scans a text: string after its first line: lines up to one
// holding a lone dot, a leading doubled dot standing for one.
func (l *lexer) multiline() token {
	var b []byte
	for l.pos < len(l.src) {
		bol := l.pos == 0 || l.src[l.pos-1] == '\n'
		s := l.src[l.pos:]
		if bol && len(s) >= 2 && s[0] == '.' {
			switch {
			case s[1] == '.':
				b = append(b, '.')
				l.advance(2)
				continue
			case len(s) >= 3 && s[1] == '\r' && s[2] == '\n':
				l.advance(3)
				return l.finishString(b)
			case s[1] == '\r' || s[1] == '\n':
				l.advance(2)
				return l.finishString(b)
			}
		}
		b = append(b, s[0])
		l.advance(1)
	}
	l.errf("unexpected end of file in string")
	return token{kind: tEOF}
}

// finishString cuts a string at a NUL (Cyrus keeps C strings) and
// decodes encoded characters when the script required them.
func (l *lexer) finishString(b []byte) token {
	s := cutNUL(string(b))
	if l.encodedChar {
		d, ok := decodeEncoded(s)
		s = cutNUL(d)
		if !ok {
			l.errf("invalid unicode encoding: " + s)
		}
	}
	return token{kind: tString, text: s}
}

func cutNUL(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isCSpace is C's isspace in the C locale.
func isCSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// decodeEncoded replaces ${hex:...} and ${unicode:...} (RFC 5228 2.4.2.4)
// as Cyrus does: a sequence that does not parse is left as it is, a
// hex group of more than two digits leaves the whole sequence alone, and
// a code point that is not Unicode fails the string (false, with what
// was decoded until then).
func decodeEncoded(s string) (string, bool) {
	// the result is built as it goes (decoded text is never scanned
	// again, as in Cyrus): out holds s[:last] decoded
	var out strings.Builder
	last, cp := 0, 0
	for {
		i := strings.Index(s[cp:], "${")
		if i < 0 {
			out.WriteString(s[last:])
			return out.String(), true
		}
		start := cp + i
		cp = start + 2
		unicode := false
		switch {
		case len(s)-cp >= 4 && strings.EqualFold(s[cp:cp+4], "hex:"):
			cp += 4
		case len(s)-cp >= 8 && strings.EqualFold(s[cp:cp+8], "unicode:"):
			cp += 8
			unicode = true
		default:
			continue
		}
		for cp < len(s) && isCSpace(s[cp]) {
			cp++
		}
		n := 0
		for cp+n < len(s) && (isHex(s[cp+n]) || s[cp+n] == ' ' || s[cp+n] == '\t' || s[cp+n] == '\r' || s[cp+n] == '\n') {
			n++
		}
		if cp >= len(s) || !isHex(s[cp]) || cp+n >= len(s) || s[cp+n] != '}' {
			continue
		}
		var dec []byte
		abandoned := false
		for {
			code, nd := uint32(0), 0
			for cp < len(s) && isHex(s[cp]) {
				d, _ := strconv.ParseUint(s[cp:cp+1], 16, 8)
				code = code<<4 + uint32(d)
				nd++
				cp++
			}
			if unicode {
				u := utf8Of(code)
				if u == nil {
					out.WriteString(s[last:])
					return out.String(), false
				}
				dec = append(dec, u...)
			} else if nd > 2 {
				dec = nil
				cp = min(cp+n+1, len(s))
				abandoned = true
				break
			} else {
				dec = append(dec, byte(code))
			}
			for cp < len(s) && isCSpace(s[cp]) {
				cp++
			}
			if cp >= len(s) || s[cp] == '}' {
				break
			}
		}
		if abandoned || len(dec) == 0 {
			continue
		}
		out.WriteString(s[last:start])
		out.Write(dec)
		cp++
		last = cp
	}
}

// utf8Of encodes a code point as Cyrus does (surrogates and values past
// U+10FFFF are refused).
func utf8Of(c uint32) []byte {
	switch {
	case c <= 0x7f:
		return []byte{byte(c)}
	case c <= 0x7ff:
		return []byte{0xc0 | byte(c>>6), 0x80 | byte(c&0x3f)}
	case c >= 0xd800 && c <= 0xdfff:
		return nil
	case c <= 0xffff:
		return []byte{0xe0 | byte(c>>12), 0x80 | byte(c>>6&0x3f), 0x80 | byte(c&0x3f)}
	case c <= 0x10ffff:
		return []byte{0xf0 | byte(c>>18), 0x80 | byte(c>>12&0x3f), 0x80 | byte(c>>6&0x3f), 0x80 | byte(c&0x3f)}
	}
	return nil
}
