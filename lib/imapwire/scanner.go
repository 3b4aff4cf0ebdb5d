package imapwire

// The scanner mirrors the reading helpers of Cyrus's imap/imapparse.c
// (getword, getxstring, getint32, eatline) closely, because the BAD texts
// depend on which character each helper stops at. Every helper returns the
// character that follows its token ("c"), or a negative value:
//
//	cEOF     the token could not be read (Cyrus's EOF); the offending byte
//	         has been pushed back, as prot_ungetc does
//	cTooBig  a synchronizing literal is larger than MaxLiteral; the literal
//	         header and its CRLF have been read, no continuation was sent
//	cRefused the session's Continue hook refused a synchronizing literal
//
// A fatal condition (a limit that makes the input untrustworthy, or an I/O
// error) is recorded in p.fatal / p.ioErr and makes every later getc return
// cEOF, so parsing unwinds through its ordinary error paths and ReadCommand
// reports the fatal error instead of the BAD those paths produce.

import (
	"bytes"
	"io"
	"math"
)

const (
	cEOF     = -1
	cTooBig  = -2
	cRefused = -3
)

// litTracker watches every consumed byte for a literal header "{n}" or
// "{n+}" (optionally "~{n}") followed by CRLF or LF, so that resynchronising
// after an error can skip the data of a non-synchronizing literal the client
// is going to send anyway (RFC 7888), wherever the header was seen.
type litTracker struct {
	state  uint8 // 0 idle, 1 digits, 2 after '+', 3 after '}', 4 after "}\r"
	digits int
	n      uint64
	plus   bool
}

// feed returns the literal size when b is the LF that ends a
// non-synchronizing literal header, else -1.
func (t *litTracker) feed(b byte) int64 {
	switch t.state {
	case 1:
		if b >= '0' && b <= '9' {
			if t.n <= math.MaxUint32 {
				t.n = t.n*10 + uint64(b-'0')
			}
			t.digits++
			return -1
		}
		if t.digits > 0 && (b == '+' || b == '}') {
			t.plus = b == '+'
			if b == '+' {
				t.state = 2
			} else {
				t.state = 3
			}
			return -1
		}
	case 2:
		if b == '}' {
			t.state = 3
			return -1
		}
	case 3:
		if b == '\r' {
			t.state = 4
			return -1
		}
		fallthrough
	case 4:
		if b == '\n' {
			t.state = 0
			// Cyrus's eatline gives up on sizes over UINT32_MAX.
			if t.plus && t.n <= math.MaxUint32 {
				return int64(t.n)
			}
			return -1
		}
	}
	t.state = 0
	if b == '{' {
		t.state, t.digits, t.n = 1, 0, 0
	}
	return -1
}

func (t *litTracker) reset() { t.state = 0 }

// getc reads one byte.
func (p *Parser) getc() int {
	if p.back >= 0 {
		c := p.back
		p.back = -1
		return c
	}
	if p.fatal != nil || p.ioErr != nil {
		return cEOF
	}
	b, err := p.br.ReadByte()
	if err != nil {
		p.ioErr = err
		return cEOF
	}
	p.lineBytes++
	p.nonSyncAtEOL = p.lt.feed(b)
	if p.counting {
		p.args++
		if p.args > p.lim.MaxArgsSize {
			p.setFatal("[TOOBIG] " + TextArgsTooLarge)
			return cEOF
		}
	}
	return int(b)
}

// ungetc pushes c back (one byte, like prot_ungetc). Negative values are
// ignored.
func (p *Parser) ungetc(c int) {
	if c >= 0 {
		p.back = c
	}
}

func (p *Parser) setFatal(bye string) {
	if p.fatal == nil {
		p.fatal = fatalError(bye)
	}
}

// failed reports whether reading cannot go on (fatal or I/O error).
func (p *Parser) failed() bool { return p.fatal != nil || p.ioErr != nil }

func isSpace(c int) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// wordEnd reports whether c ends a word (Cyrus getword).
func wordEnd(c int) bool {
	return c < 0 || isSpace(c) || c == '(' || c == ')' || c == '"'
}

// getword reads a word into p.tok: bytes up to whitespace, a parenthesis
// or a double quote, which is returned. The word may be empty.
func (p *Parser) getword() int {
	p.tok = p.tok[:0]
	for {
		c := p.getc()
		if wordEnd(c) {
			return c
		}
		p.tok = append(p.tok, byte(c))
		if int64(len(p.tok)) > p.lim.MaxWord {
			p.setFatal("[TOOBIG] " + TextWordTooLong)
			return cEOF
		}
	}
}

// isEOL consumes an optional CR and reports whether the line ends at c
// (Cyrus's IS_EOL). *c is updated like the macro does.
func (p *Parser) isEOL(c *int) bool {
	if *c == '\r' {
		*c = p.getc()
	}
	return *c == '\n'
}

// eatLine skips the rest of the command line starting at c (the last byte
// read), like Cyrus's eatline: the data of non-synchronizing literals is
// skipped without being stored; a synchronizing literal ends the line,
// since the client waits for a continuation that is never sent.
func (p *Parser) eatLine(c int) {
	for {
		if c == '\n' {
			if n := p.nonSyncAtEOL; n >= 0 {
				p.nonSyncAtEOL = -1
				if !p.discard(n) {
					return
				}
				c = p.getc()
				continue
			}
			return
		}
		if c < 0 && p.failed() {
			return
		}
		c = p.getc()
	}
}

// discard drops n bytes of literal data without storing them.
func (p *Parser) discard(n int64) bool {
	if p.back >= 0 {
		p.back = -1
		n--
	}
	if n <= 0 {
		return true
	}
	if _, err := io.CopyN(io.Discard, p.br, n); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		p.ioErr = err
		return false
	}
	p.lt.reset()
	return true
}

// String flavours of Cyrus's getxstring.
const (
	gxAtom    = 1 << iota // an atom is accepted
	gxQuoted              // a quoted string is accepted
	gxLiteral             // a literal is accepted
	gxNil                 // NIL is accepted (returned as isNil)
	gxBinary              // NUL is accepted inside a literal

	gxAString  = gxAtom | gxQuoted | gxLiteral
	gxNString  = gxNil | gxQuoted | gxLiteral
	gxString   = gxQuoted | gxLiteral
	gxBNString = gxNil | gxQuoted | gxLiteral | gxBinary
)

// getxstring reads a string of the given flavours into p.tok (isNil for
// NIL) and returns the following character.
func (p *Parser) getxstring(flags int) (isNil bool, c int) {
	p.tok = p.tok[:0]
	c = p.getc()
	switch c {
	case cEOF, ' ', '(', ')', '\r', '\n':
		p.ungetc(c)
		return false, cEOF
	case '"':
		if flags&gxQuoted == 0 {
			p.ungetc(c)
			return false, cEOF
		}
		// Quoted string; like Cyrus, any byte but CR, LF and an
		// unescaped quote is accepted, and a backslash escapes any byte.
		for {
			c = p.getc()
			if c == '\\' {
				c = p.getc()
			} else if c == '"' {
				return false, p.getc()
			}
			if c < 0 || c == '\r' || c == '\n' {
				p.ungetc(c)
				return false, cEOF
			}
			p.tok = append(p.tok, byte(c))
			if int64(len(p.tok)) > p.lim.MaxQuoted {
				p.setFatal("[TOOBIG] " + TextQuotedTooLong)
				return false, cEOF
			}
		}
	case '{':
		if flags&gxLiteral == 0 {
			p.ungetc(c)
			return false, cEOF
		}
		return false, p.stringLiteral(flags&gxBinary != 0)
	}
	if flags&gxAtom != 0 {
		for !wordEnd(c) {
			p.tok = append(p.tok, byte(c))
			if int64(len(p.tok)) > p.lim.MaxWord {
				p.setFatal("[TOOBIG] " + TextWordTooLong)
				return false, cEOF
			}
			c = p.getc()
		}
		return false, c
	}
	if flags&gxNil != 0 && c == 'N' {
		// NIL (upper case, as Cyrus compares it) followed by a separator;
		// anything else fails with only the 'N' pushed back.
		if la, _ := p.br.Peek(3); len(la) == 3 && la[0] == 'I' && la[1] == 'L' {
			if sep := int(la[2]); isSpace(sep) || sep == '(' || sep == ')' || sep == '"' {
				p.getc()
				p.getc()
				return true, p.getc()
			}
		}
	}
	p.ungetc(c)
	return false, cEOF
}

// stringLiteral reads a literal whose '{' has been read, into p.tok.
func (p *Parser) stringLiteral(binary bool) int {
	n, c := p.getint32()
	if c < 0 && n < 0 {
		return cEOF
	}
	nonSync := false
	if c == '+' {
		// RFC 7888 section 4: the data cannot be refused any more, so an
		// over-large literal ends the connection (Cyrus does the same).
		if p.opt.LiteralMinus && n > 4096 {
			p.setFatal("[TOOBIG] " + TextLiteralMinus)
			return cEOF
		}
		if n > p.lim.MaxLiteral {
			p.setFatal("[TOOBIG] " + TextLiteralTooLarge)
			return cEOF
		}
		nonSync = true
		c = p.getc()
	}
	if n < 0 || c != '}' {
		p.ungetc(c)
		return cEOF
	}
	if c = p.getc(); c != '\r' {
		p.ungetc(c)
		return cEOF
	}
	if c = p.getc(); c != '\n' {
		p.ungetc(c)
		return cEOF
	}
	p.nonSyncAtEOL = -1 // the data is read here
	if !nonSync {
		if n > p.lim.MaxLiteral {
			return cTooBig
		}
		if err := p.askContinue(n, false, false); err != nil {
			return cRefused
		}
	}
	if !p.readLiteral(n) {
		return cEOF
	}
	if !binary && bytes.IndexByte(p.tok, 0) >= 0 {
		// The bytes are consumed; Cyrus fails the string without
		// pushing anything back.
		return cEOF
	}
	return p.getc()
}

// readLiteral reads n bytes of literal data into p.tok, counting them
// against MaxArgsSize before the memory is taken.
func (p *Parser) readLiteral(n int64) bool {
	if p.counting && p.args+n > p.lim.MaxArgsSize {
		p.setFatal("[TOOBIG] " + TextArgsTooLarge)
		return false
	}
	if int64(cap(p.tok)) < n {
		p.tok = make([]byte, n)
	}
	p.tok = p.tok[:n]
	if _, err := io.ReadFull(p.br, p.tok); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		p.ioErr = err
		p.tok = p.tok[:0]
		return false
	}
	p.args += n
	p.lt.reset()
	return true
}

// askContinue lets the session refuse or accept a synchronizing literal;
// accepting means it has sent the "+" continuation request.
func (p *Parser) askContinue(n int64, binary, message bool) error {
	req := LiteralRequest{Tag: p.tag, Command: p.display, Size: n, Binary: binary, Message: message}
	var err error
	if p.opt.Continue == nil {
		err = newNO(p.tag, "", "Synchronizing literals are not accepted")
	} else {
		err = p.opt.Continue(req)
	}
	if err != nil {
		p.refused = err
	}
	return err
}

// getint32 reads a decimal number like Cyrus's getint32: a value over
// 2^31-1 is fatal ("num too big"); no digit at all returns n = -1 and the
// non-digit pushed back.
func (p *Parser) getint32() (n int64, c int) {
	got := false
	for {
		c = p.getc()
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
		if n > math.MaxInt32 {
			p.setFatal(TextNumTooBig)
			return -1, cEOF
		}
		got = true
	}
	if !got {
		p.ungetc(c)
		return -1, cEOF
	}
	return n, c
}

// getnumber reads an RFC 3501 number (0..2^32-1). ok is false if there was
// no digit or the value is too large; the character after the digits is
// returned either way.
func (p *Parser) getnumber(max uint64) (n uint64, c int, ok bool) {
	got, over := false, false
	for {
		c = p.getc()
		if c < '0' || c > '9' {
			break
		}
		got = true
		if n > (max-uint64(c-'0'))/10 {
			over = true
		} else {
			n = n*10 + uint64(c-'0')
		}
	}
	if !got {
		p.ungetc(c)
		return 0, cEOF, false
	}
	return n, c, !over
}

// getmodseq reads a mod-sequence like Cyrus's getmodseq: at most 31 digits,
// clamped to 2^64-1.
func (p *Parser) getmodseq() (uint64, int) {
	var n uint64
	i := 0
	c := 0
	for i < 32 {
		c = p.getc()
		if c < '0' || c > '9' {
			break
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			n = math.MaxUint64
		} else {
			n = n*10 + d
		}
		i++
	}
	if i == 0 || i == 32 {
		p.ungetc(c)
		return 0, cEOF
	}
	return n, c
}

// item counts one parsed item against MaxItems.
func (p *Parser) item() bool {
	p.items++
	return p.items <= p.lim.MaxItems
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		d := s[i]
		if d >= 'a' && d <= 'z' {
			d -= 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

func upperInPlace(b []byte) {
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
}

func lowerInPlace(b []byte) {
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
}

func upperASCII(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

func lowerASCII(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

// isAtom is Cyrus's imparse_isatom: no 8-bit, control (below 0x1f), DEL,
// space or atom-specials other than ']', and shorter than 1024 bytes.
func isAtom(b []byte) bool {
	if len(b) == 0 || len(b) >= 1024 {
		return false
	}
	for _, c := range b {
		if c&0x80 != 0 || c < 0x1f || c == 0x7f || c == ' ' || c == '{' ||
			c == '(' || c == ')' || c == '"' || c == '%' || c == '*' || c == '\\' {
			return false
		}
	}
	return true
}
