package imapwire

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// LiteralRequest describes a synchronizing literal the client announced and
// waits to send. Options.Continue decides whether to accept it.
type LiteralRequest struct {
	Tag     string
	Command string // upper-case command name, "UID FETCH" style
	Size    int64  // announced size, already checked against the limits
	Binary  bool   // literal8 (~{n}, RFC 3516)
	Message bool   // APPEND message data or a CATENATE TEXT part
}

// Header is what Gate sees of a command before its arguments are read.
type Header struct {
	Tag   string
	Name  string // upper case; for "UID FETCH" Name is "FETCH" and UID is set
	UID   bool
	Known bool // the parser (or a registered extension) knows the syntax
}

// Options configure a Parser. Continue is required for synchronizing
// literals to work; the other hooks are optional.
type Options struct {
	Limits Limits
	// Ext enables grammar beyond Cyrus 3.6.1 (see Ext).
	Ext Ext
	// LiteralMinus is imapd.conf literalminus: non-synchronizing literals
	// are limited to 4096 bytes (RFC 7888 LITERAL-).
	LiteralMinus bool
	// Continue is called when the client announced a synchronizing
	// literal, before any of its data is read. It returns nil after it has
	// sent the continuation request ("+ go ahead", see
	// Writer.ContinueLiteral), or an error to refuse the literal: the
	// parser then returns that error from ReadCommand (or Append.Next)
	// without reading further, since the client will not send the data.
	// An *Error is written as the tagged answer; any other error is an I/O
	// failure. Without Continue every synchronizing literal is refused
	// with NO.
	Continue func(LiteralRequest) error
	// Gate is called once the command name is known (for UID commands,
	// first with Name "UID", then with the subcommand), before any argument
	// is read. Returning an error rejects the command: the parser skips the
	// rest of the line and returns the error with the tag filled in. This
	// is where the session applies state rules ("Please login first",
	// "Please select a mailbox first", disabled commands...).
	Gate func(Header) error
	// KnownCharset, if set, is asked about SEARCH/SORT/THREAD charsets
	// while parsing, so that an unknown one gets Cyrus's BAD at the same
	// point Cyrus gives it.
	KnownCharset func(name string) bool
}

// ExtensionFunc parses the arguments of a command registered with
// Parser.Register. It reads them through the Args methods, which return
// ready-to-send *Error values, and returns the value put in Command.Args.
type ExtensionFunc func(a *Args) (any, error)

// Parser reads client commands from a connection. It is not safe for
// concurrent use: one goroutine per connection owns it.
type Parser struct {
	br  *bufio.Reader
	opt Options
	lim Limits

	back         int // pushed-back byte, -1 if none
	fatal        *Error
	ioErr        error
	refused      error // error returned by Continue
	lt           litTracker
	nonSyncAtEOL int64 // size of the {n+} literal whose header ended at the last byte, else -1
	lineBytes    int64

	eatNext  bool  // skip the rest of the line before the next command
	eatFrom  int   // ... starting at this byte
	counting bool  // count consumed bytes against MaxArgsSize
	args     int64 // bytes of arguments of the current command
	items    int
	depth    int

	tag     string
	display string // Cyrus's spelling of the command name ("Fetch", "Uid")
	tok     []byte

	// Errors recorded by helpers that return only a byte, as Cyrus's
	// helpers print their BAD and return EOF.
	listErr   error
	metaE     error
	serr      error
	lastWordB []byte // last search key word (Cyrus's static criteria buffer)

	enabled map[string]bool
	ext     map[string]ExtensionFunc
	app     *Append // APPEND being iterated
}

// NewParser returns a parser reading from r.
func NewParser(r io.Reader, opt Options) *Parser {
	p := &Parser{
		br:           bufio.NewReaderSize(r, 8192),
		opt:          opt,
		lim:          opt.Limits.normalized(),
		back:         -1,
		nonSyncAtEOL: -1,
		enabled:      map[string]bool{},
	}
	return p
}

// Enable records capabilities the client turned on with ENABLE (or that
// commands such as SELECT (CONDSTORE) turned on): "QRESYNC" allows the
// QRESYNC SELECT parameter and the VANISHED FETCH modifier; "UTF8=ACCEPT" or
// "IMAP4REV2" allows APPEND's UTF8 data item when ExtUTF8 is set.
func (p *Parser) Enable(caps ...string) {
	for _, c := range caps {
		p.enabled[strings.ToUpper(c)] = true
	}
}

func (p *Parser) isEnabled(c string) bool { return p.enabled[c] }

// Register adds the syntax of a command the parser does not know (or
// replaces the parser's own). name is matched case-insensitively.
func (p *Parser) Register(name string, fn ExtensionFunc) {
	if p.ext == nil {
		p.ext = map[string]ExtensionFunc{}
	}
	p.ext[strings.ToUpper(name)] = fn
}

// Reset makes the parser read from r from now on and returns the bytes it
// had buffered from the old reader but not parsed yet. STARTTLS discards
// them (as Cyrus does); COMPRESS DEFLATE feeds them to the decompressor.
// It must not be called while a command is being iterated (APPEND).
func (p *Parser) Reset(r io.Reader) []byte {
	var rest []byte
	if p.back >= 0 {
		rest = append(rest, byte(p.back))
		p.back = -1
	}
	if n := p.br.Buffered(); n > 0 {
		b, _ := p.br.Peek(n)
		rest = append(rest, b...)
	}
	p.br.Reset(r)
	p.ioErr = nil
	p.eatNext = false
	p.lt.reset()
	p.nonSyncAtEOL = -1
	return rest
}

// Buffered returns the number of bytes received but not parsed yet.
func (p *Parser) Buffered() int {
	n := p.br.Buffered()
	if p.back >= 0 {
		n++
	}
	return n
}

type handler func(p *Parser, c int, uid bool) (any, error)

// ReadCommand reads the next command. On a syntax error it returns an
// *Error after skipping the rest of the command (see doc.go); the session
// writes it and goes on, unless Error.Fatal. Other errors (io.EOF...) come
// from the connection and end the session.
func (p *Parser) ReadCommand() (*Command, error) {
	if p.app != nil {
		p.app.abandon()
	}
	p.counting = false
	p.args, p.items, p.depth = 0, 0, 0
	p.refused, p.listErr, p.metaE, p.serr = nil, nil, nil, nil
	p.tag, p.display = "", ""
	if err := p.stopErr(); err != nil {
		return nil, err
	}
	if p.eatNext {
		// The previous command was answered before the rest of its line
		// was skipped (as Cyrus answers before its eatline).
		p.eatNext = false
		p.eatLine(p.eatFrom)
		if err := p.stopErr(); err != nil {
			return nil, err
		}
	}
	if cap(p.tok) > 4096 {
		p.tok = nil // do not keep a large literal's buffer around
	}

	// Tag (RFC 9051 section 2.2.1; Cyrus cmdloop).
	c := p.getword()
	if c < 0 && p.failed() {
		return nil, p.stopErr()
	}
	if c != ' ' || !isAtom(p.tok) {
		p.skipLine(c)
		return nil, newBAD("", TextInvalidTag)
	}
	p.tag = string(p.tok)

	// Command name.
	c = p.getword()
	if len(p.tok) == 0 {
		p.skipLine(c)
		return nil, p.result(newBAD(p.tag, TextNullCommand))
	}
	name, display := commandName(p.tok)
	p.display = display
	p.counting = true

	h, known := p.lookup(name)
	if err := p.gate(Header{Tag: p.tag, Name: name, Known: known}); err != nil {
		p.skipLine(c)
		return nil, p.result(err)
	}
	if !known {
		p.skipLine(c)
		return nil, p.result(newBAD(p.tag, TextUnrecognized))
	}
	if name == "UID" {
		return p.readUID(c)
	}
	args, err := h(p, c, false)
	return p.finish(name, false, args, err)
}

func (p *Parser) lookup(name string) (handler, bool) {
	if fn, ok := p.ext[name]; ok {
		return extHandler(fn), true
	}
	if name == "ESEARCH" && p.opt.Ext&ExtMultiSearch == 0 {
		return nil, false
	}
	if name == "REPLACE" && p.opt.Ext&ExtReplace == 0 {
		return nil, false
	}
	h, ok := handlers[name]
	return h, ok
}

func (p *Parser) gate(h Header) error {
	if p.opt.Gate == nil {
		return nil
	}
	return p.opt.Gate(h)
}

// readUID handles "UID <subcommand>" (cmdloop's 'U' case).
func (p *Parser) readUID(c int) (*Command, error) {
	if c != ' ' {
		return nil, p.result(p.missingArgs(c))
	}
	c = p.getword()
	if c != ' ' {
		return nil, p.result(p.missingArgs(c))
	}
	sub, _ := commandName(p.tok)
	h, ok := uidHandlers[sub]
	if sub == "REPLACE" && p.opt.Ext&ExtReplace == 0 {
		h, ok = nil, false
	}
	if err := p.gate(Header{Tag: p.tag, Name: sub, UID: true, Known: ok}); err != nil {
		p.skipLine(c)
		return nil, p.result(err)
	}
	if !ok {
		p.skipLine(c)
		return nil, p.result(newBAD(p.tag, TextUnrecognizedUID))
	}
	args, err := h(p, c, true)
	return p.finish(sub, true, args, err)
}

func (p *Parser) finish(name string, uid bool, args any, err error) (*Command, error) {
	if err != nil {
		return nil, p.result(err)
	}
	if e := p.stopErr(); e != nil {
		return nil, e
	}
	if p.nonSyncAtEOL >= 0 {
		// The line that was accepted as complete ended with a
		// non-synchronizing literal header: the client will send data we
		// did not expect. Refuse the command rather than read the data as
		// the next command (Cyrus would).
		p.skipLine('\n')
		return nil, p.result(newBAD(p.tag, TextExtraArgs, p.display))
	}
	if a, ok := args.(*Append); ok {
		p.app = a
	}
	if r, ok := args.(*Replace); ok {
		p.app = r.Append
	}
	return &Command{Tag: p.tag, Name: name, UID: uid, Args: args}, nil
}

// result turns what a parse step returned into ReadCommand's error: a
// fatal condition or I/O error wins; an *Error gets the tag.
func (p *Parser) result(err error) error {
	if e := p.stopErr(); e != nil {
		return e
	}
	var pe *Error
	if errors.As(err, &pe) && pe.Tag == "" && pe.Status != "" && p.tag != "" {
		cp := *pe
		cp.Tag = p.tag
		return &cp
	}
	return err
}

// stopErr returns the fatal error or the I/O error, if any.
func (p *Parser) stopErr() error {
	if p.fatal != nil {
		f := *p.fatal
		f.Tag = p.tag
		if f.Status == "" {
			f.Tag = ""
		}
		return &f
	}
	if p.ioErr != nil {
		return p.ioErr
	}
	return nil
}

// commandName returns the upper-case name of the command in b and Cyrus's
// spelling of it, without allocating for the commands the parser knows.
func commandName(b []byte) (name, display string) {
	upperInPlace(b)
	if n, ok := knownNames[string(b)]; ok {
		return n[0], n[1]
	}
	name = string(b)
	return name, displayName(name)
}

var knownNames = map[string][2]string{}

// displayName spells a command as Cyrus's cmdloop does in its answers:
// "FETCH" -> "Fetch".
func displayName(upper string) string {
	if upper == "" {
		return ""
	}
	b := []byte(strings.ToLower(upper))
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}

// skipLine arranges for the rest of the command line, from c on, to be
// skipped before the next command is read: the answer can go out first,
// before literal data still to come has arrived.
func (p *Parser) skipLine(c int) {
	p.eatNext, p.eatFrom = true, c
}

// fail ends a command with e; the rest of the line is skipped from c
// (skipLine), unless c says a literal was too large or refused, or the
// input failed.
func (p *Parser) fail(c int, e *Error) error {
	switch c {
	case cTooBig:
		return p.literalTooBig(p.display)
	case cRefused:
		return p.refused
	}
	if p.failed() {
		return p.stopErr()
	}
	p.skipLine(c)
	return e
}

// literalTooBig is Cyrus's "NO [TOOBIG] Literal size exceeds fixed limit in
// <where>"; the literal header ended the line, so nothing is skipped.
func (p *Parser) literalTooBig(where string) error {
	return newNO(p.tag, "TOOBIG", TextLiteralTooLarge+" in %s", where)
}

func (p *Parser) missingArgs(c int) error {
	return p.fail(c, newBAD(p.tag, TextMissingArgs, p.display))
}

func (p *Parser) extraArgs(c int) error {
	return p.fail(c, newBAD(p.tag, TextExtraArgs, p.display))
}

func (p *Parser) badSequence(c int) error {
	return p.fail(c, newBAD(p.tag, TextBadSequence, p.display))
}

func (p *Parser) badPartition(c int) error {
	return p.fail(c, newBAD(p.tag, TextBadPartition, p.display))
}

// tooMany and tooDeep enforce the Gyrus-only MaxItems and MaxDepth.
func (p *Parser) tooMany(c int) error {
	return p.fail(c, newNO(p.tag, "LIMIT", TextTooManyArgs, p.display))
}

func (p *Parser) tooDeep(c int) error {
	return p.fail(c, newNO(p.tag, "LIMIT", TextTooDeep, p.display))
}

// astring/nstring wrappers returning Go strings.
func (p *Parser) astring() (string, int) {
	_, c := p.getxstring(gxAString)
	return string(p.tok), c
}
