package imapwire

// APPEND (RFC 9051 6.3.12, RFC 3502 MULTIAPPEND, RFC 4469 CATENATE,
// RFC 3516 BINARY literal8, RFC 6855/9051 UTF8, RFC 5257 ANNOTATION; Cyrus
// cmd_append, getliteralsize, append_catenate).

import (
	"io"
	"math"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Append is the argument of APPEND: the mailbox, and an iterator over the
// messages, whose data is streamed. The session checks the mailbox first
// (Cyrus answers NO [TRYCREATE] before reading any message), then calls
// Next until io.EOF, reading each message's Literal (or Catenate parts) as
// it comes. Errors from Next are ready-to-send *Error values (the input has
// been resynchronised) or connection errors. Discard abandons the command.
type Append struct {
	Mailbox string

	p          *Parser
	c          int // byte after the previous message ("c" in Cyrus)
	cur        *AppendMessage
	closeParen bool // the current message is inside "UTF8 ("
	done       bool
	err        error
	n          int
	single     bool // REPLACE: one message only (RFC 8508)
}

// AppendMessage is one message of an APPEND. Options holds the flags and
// the internal date (zero if absent). Exactly one of Literal and Catenate is
// set.
type AppendMessage struct {
	Options     imap.AppendOptions
	HasFlags    bool // a flag list was given (possibly empty)
	Annotations []AnnotationStore
	UTF8        bool // "UTF8 (~{n})" data (RFC 6855 / RFC 9051)
	Literal     *Literal
	Catenate    *Catenate
}

// Catenate iterates over the parts of a CATENATE message (RFC 4469).
type Catenate struct {
	a     *Append
	cur   *CatenatePart
	c     int
	total int64
	done  bool
}

// CatenatePart is a URL part or a TEXT part (streamed).
type CatenatePart struct {
	URL  string
	Text *Literal
}

func parseAppend(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	name, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	return &Append{Mailbox: name, p: p, c: ' '}, nil
}

// Next returns the next message, or io.EOF after the last one.
func (a *Append) Next() (*AppendMessage, error) {
	if a.err != nil {
		return nil, a.err
	}
	if a.done {
		return nil, io.EOF
	}
	p := a.p
	if a.cur != nil {
		if !a.finishCurrent() {
			return nil, a.stop(nil)
		}
		a.cur = nil
		if a.c != ' ' || a.single {
			c := a.c
			if p.isEOL(&c) {
				a.done = true
				p.app = nil
				return nil, io.EOF
			}
			return nil, a.stop(a.bad(c, TextAppendJunk))
		}
	}
	m, err := a.message()
	if err != nil {
		return nil, a.stop(err)
	}
	a.cur = m
	return m, nil
}

// Discard abandons the APPEND: what the client sends of it is skipped (the
// data of non-synchronizing literals included) up to the end of the
// command. Use it when refusing the command before or between messages.
func (a *Append) Discard() error {
	a.abandon()
	if a.err != nil {
		if e, ok := a.err.(*Error); ok && !e.Fatal() {
			return nil
		}
		return a.err
	}
	return a.p.stopErr()
}

func (a *Append) abandon() {
	p := a.p
	if p.app == a {
		p.app = nil
	}
	if a.done || a.err != nil {
		return
	}
	a.done = true
	c := int(' ')
	if a.cur != nil {
		if !a.finishCurrent() {
			return
		}
		c = a.c
	}
	p.eatLine(c)
}

// finishCurrent skips what is left of the current message and reads the
// byte after it into a.c.
func (a *Append) finishCurrent() bool {
	p, m := a.p, a.cur
	if m.Literal != nil {
		if !m.Literal.drain() {
			return false
		}
		p.lt.reset()
		c := p.getc()
		if a.closeParen {
			a.closeParen = false
			if c != ')' {
				a.err = a.bad(c, TextAppendJunk)
				return false
			}
			c = p.getc()
		}
		a.c = c
		return true
	}
	ct := m.Catenate
	for !ct.done {
		if _, err := ct.Next(); err != nil {
			if err == io.EOF {
				break
			}
			return false
		}
	}
	a.c = ct.c
	return true
}

// stop ends the iteration with err (or the parser's failure).
func (a *Append) stop(err error) error {
	p := a.p
	a.done = true
	p.app = nil
	if e := p.stopErr(); e != nil {
		a.err = e
		return e
	}
	if err == nil {
		err = a.err
	}
	a.err = err
	return err
}

func (a *Append) bad(c int, text string) error {
	return a.p.fail(c, newBADText(a.p.tag, text))
}

// message parses append-opts and append-data of one message; a.c is the
// space before it.
func (a *Append) message() (*AppendMessage, error) {
	p := a.p
	a.n++
	if !p.item() {
		return nil, p.tooMany(' ')
	}
	// maxargssize covers the mailbox name and the options of each message,
	// not the message data (Cyrus resets its mark per message).
	p.args = int64(len(a.Mailbox))
	m := &AppendMessage{}
	c := p.getword()
	if c == '(' && len(p.tok) == 0 {
		m.HasFlags = true
		for {
			c = p.getword()
			if len(m.Options.Flags) == 0 && len(p.tok) == 0 && c == ')' {
				break
			}
			flag, ok := appendFlag(p.tok)
			if !ok {
				return nil, a.bad(c, TextAppendBadFlag)
			}
			if !p.item() {
				return nil, p.tooMany(c)
			}
			m.Options.Flags = append(m.Options.Flags, flag)
			if c != ' ' {
				break
			}
		}
		if c != ')' {
			return nil, a.bad(c, TextAppendFlagNoClose)
		}
		if c = p.getc(); c != ' ' {
			return nil, a.bad(c, TextAppendFlagSpace)
		}
		c = p.getword()
	}
	if c == '"' && len(p.tok) == 0 {
		p.ungetc(c)
		t, c2 := p.dateTime()
		if c = c2; c != ' ' {
			return nil, a.bad(c, TextAppendBadDate)
		}
		m.Options.Time = t
		c = p.getword()
	}
	for equalFold(p.tok, "ANNOTATION") {
		if c != ' ' {
			return nil, a.bad(c, TextAppendNoAnnotation)
		}
		if c = p.annotateStoreData(&m.Annotations); c < 0 {
			return nil, p.annotErr(c)
		}
		c = p.getword()
	}
	switch {
	case equalFold(p.tok, "CATENATE"):
		if c != ' ' {
			return nil, a.bad(c, TextAppendNoParts)
		}
		if c = p.getc(); c != '(' {
			return nil, a.bad(c, TextAppendNoParts)
		}
		m.Catenate = &Catenate{a: a}
		return m, nil
	case equalFold(p.tok, "UTF8") && p.opt.Ext&ExtUTF8 != 0 &&
		(p.isEnabled("UTF8=ACCEPT") || p.isEnabled("IMAP4REV2")):
		if c != ' ' {
			return nil, a.bad(c, TextAppendMissing)
		}
		if c = p.getc(); c != '(' {
			return nil, a.bad(c, TextAppendMissing)
		}
		c = p.getword()
		if len(p.tok) == 0 || p.tok[0] != '~' {
			return nil, a.bad(c, TextAppendMissing)
		}
		m.UTF8 = true
		a.closeParen = true
	}
	lit, err := a.literalHeader(c, p.lim.MaxMessageSize)
	if err != nil {
		return nil, err
	}
	m.Literal = lit
	return m, nil
}

// appendFlag checks a flag like Cyrus's isokflag: the five system flags or
// an atom.
func appendFlag(b []byte) (imap.Flag, bool) {
	if len(b) > 0 && b[0] == '\\' {
		switch l := lowerASCII(b); l {
		case "\\seen", "\\answered", "\\flagged", "\\draft", "\\deleted":
			return canonicalSystemFlag(l), true
		}
		return "", false
	}
	return imap.Flag(b), isAtom(b)
}

// dateTime reads a quoted date-time (Cyrus getdatetime: at most 26 bytes
// between the quotes).
func (p *Parser) dateTime() (time.Time, int) {
	c := p.getc()
	if c != '"' {
		p.ungetc(c)
		return time.Time{}, cEOF
	}
	var buf [26]byte
	n := 0
	for {
		c = p.getc()
		if c == '"' {
			break
		}
		if c < 0 || n >= len(buf) {
			p.ungetc(c)
			return time.Time{}, cEOF
		}
		buf[n] = byte(c)
		n++
	}
	t, ok := ParseDateTime(string(buf[:n]))
	if !ok {
		p.ungetc(c)
		return time.Time{}, cEOF
	}
	return t, p.getc()
}

// literalHeader checks the word in p.tok as a message literal header
// ("{n}", "{n+}", "~{n}") ending at c, against max (getliteralsize), and
// asks for the continuation of a synchronizing one.
func (a *Append) literalHeader(c int, max int64) (*Literal, error) {
	p := a.p
	w := p.tok
	binary := false
	if len(w) > 0 && w[0] == '~' {
		binary, w = true, w[1:]
	}
	if len(w) == 0 || w[0] != '{' {
		return nil, a.bad(c, TextAppendMissing)
	}
	i := 1
	var n uint64
	for i < len(w) && isDigit(w[i]) {
		n = n*10 + uint64(w[i]-'0')
		if n > math.MaxUint32 {
			return nil, a.bad(c, TextAppendBadSize)
		}
		i++
	}
	if i == 1 {
		return nil, a.bad(c, TextAppendBadSize)
	}
	nonSync := false
	if i < len(w) && w[i] == '+' {
		// RFC 7888 section 4 choice 2, as Cyrus: tagged NO then BYE.
		if p.opt.LiteralMinus && n > 4096 {
			p.fatal = &Error{Tag: p.tag, Status: StatusNO, Code: "TOOBIG", Text: TextLiteralMinus,
				Bye: "[TOOBIG] " + TextLiteralMinus}
			return nil, p.stopErr()
		}
		if int64(n) > max {
			p.fatal = &Error{Tag: p.tag, Status: StatusNO, Code: "TOOBIG", Text: TextMessageTooLarge,
				Bye: "[TOOBIG] " + TextMessageTooLarge}
			return nil, p.stopErr()
		}
		nonSync = true
		i++
	}
	if c == '\r' {
		c = p.getc()
	}
	if i+1 != len(w) || w[i] != '}' || c != '\n' {
		return nil, a.bad(c, TextAppendBadLiteral)
	}
	p.nonSyncAtEOL = -1 // the data is ours
	if int64(n) > max {
		// The header ended the line; a synchronizing literal's data will
		// not come.
		return nil, newNO(p.tag, "TOOBIG", TextMessageTooLarge)
	}
	if !nonSync {
		if err := p.askContinue(int64(n), binary, true); err != nil {
			return nil, err
		}
	}
	if n == 0 {
		// Cyrus answers at once and reads the rest of the line as a new
		// command; we answer at once too but skip the rest of the line
		// before the next command.
		p.eatNext = true
		return nil, newNO(p.tag, "", TextAppendZero)
	}
	return &Literal{p: p, size: int64(n), left: int64(n), binary: binary, nonSync: nonSync}, nil
}

// Next returns the next part, or io.EOF after the closing parenthesis.
func (ct *Catenate) Next() (*CatenatePart, error) {
	a := ct.a
	p := a.p
	if a.err != nil {
		return nil, a.err
	}
	if ct.done {
		return nil, io.EOF
	}
	c := int(' ')
	if ct.cur != nil {
		if t := ct.cur.Text; t != nil {
			if !t.drain() {
				ct.done = true
				return nil, a.stop(nil)
			}
			p.lt.reset()
			ct.c = p.getc()
		}
		ct.cur = nil
		c = ct.c
		if c == ')' {
			ct.done = true
			ct.c = p.getc()
			return nil, io.EOF
		}
		if c != ' ' {
			ct.done = true
			return nil, a.stop(a.bad(c, TextAppendCatNoClose))
		}
	}
	fail := func(err error) (*CatenatePart, error) {
		ct.done = true
		return nil, a.stop(err)
	}
	if !p.item() {
		return fail(p.tooMany(c))
	}
	c = p.getword()
	if c != ' ' {
		return fail(a.bad(c, TextAppendNoPartData))
	}
	switch {
	case equalFold(p.tok, "TEXT"):
		c = p.getword()
		lit, err := a.literalHeader(c, p.lim.MaxMessageSize-ct.total)
		if err != nil {
			return fail(err)
		}
		ct.total += lit.size
		ct.cur = &CatenatePart{Text: lit}
	case equalFold(p.tok, "URL"):
		url, c := p.astring()
		if c == cTooBig {
			return fail(p.literalTooBig(p.display))
		}
		if c != ' ' && c != ')' {
			return fail(a.bad(c, TextAppendNoURL))
		}
		ct.c = c
		ct.cur = &CatenatePart{URL: url}
	default:
		return fail(a.bad(c, TextAppendBadPartType))
	}
	return ct.cur, nil
}
