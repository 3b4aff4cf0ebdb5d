package sieve

import (
	"fmt"
	"strings"
)

// Limits on what a script may make the parser do (input comes from
// users). Cyrus has none but bison's stack of 10000; scripts inside them
// compile as in Cyrus.
const (
	// MaxScriptSize is the largest script Compile accepts, in bytes.
	MaxScriptSize = 4 << 20
	// MaxDepth is how deeply blocks and tests may nest.
	MaxDepth = 200
	// MaxListLen is the most strings in a string list (or tests in a
	// test list).
	MaxListLen = 100000
	// maxProblems stops a script with many errors early.
	maxProblems = 1000
)

// Cyrus's error texts (sieve_err.et).
const (
	errMissingRequire  = "%s extension MUST be enabled with \"require\" command"
	errMissingTag      = "%s tag is required"
	errUnexpectedTag   = "unexpected %s tag"
	errDuplicateTag    = "duplicate %s tag"
	errMultipleTags    = "multiple %s tags"
	errConflictingTags = "tag %s MUST NOT be used with tag %s"
	errDuplicateArg    = "duplicate %s argument"
	errInvalidValue    = "invalid %s value"
	errUnsuppExt       = "unsupported extension"
	errIhaveIncompat   = "\"%s\" extension MUST NOT be used in \"ihave\" test"
	errMatchIncompat   = "\"%s\" match-type MUST NOT be used with \"%s\" comparator"
)

const dayToSec = 24 * 60 * 60

// bail unwinds the parser after a syntax error or a limit.
type bail struct{}

// parser is a recursive-descent version of Cyrus's bison grammar
// (sieve/sieve.y). Bison runs an action when it reduces a rule, and
// whether it has read the next token by then decides the line of any
// error the action reports; the parser peeks at the next token exactly
// where bison needs it, so that the lexer's line is the same.
type parser struct {
	lex     *lexer
	tok     token
	have    bool
	o       Options
	support capa
	probs   []Problem
	// ignoreErr counts the open ihave tests that named an unknown
	// extension: errors inside their block are not errors (RFC 5463 4).
	ignoreErr int
	depth     int
	// errStatus is bison's yyerrstatus: 3 after a recovery, one less
	// per token shifted; a syntax error is reported only at 0.
	errStatus int
	tookDown  bool
}

func (p *parser) peek() token {
	if !p.have {
		p.tok = p.lex.next()
		p.have = true
	}
	return p.tok
}

// take consumes the lookahead. For bison that is a shift, which counts
// down the tokens to go before syntax errors are reported again after
// one (errStatus); syntax() undoes it for the token it refuses.
func (p *parser) take() token {
	t := p.peek()
	p.have = false
	p.tookDown = p.errStatus > 0
	if p.tookDown {
		p.errStatus--
	}
	return t
}

func (p *parser) errorf(format string, a ...any) {
	if p.ignoreErr > 0 {
		return
	}
	msg := format
	if len(a) > 0 {
		msg = fmt.Sprintf(format, a...)
	}
	p.probs = append(p.probs, Problem{Line: p.lex.line, Msg: msg})
	if len(p.probs) >= maxProblems {
		panic(bail{})
	}
}

// syntaxBail unwinds the parser after a syntax error.
type syntaxBail struct{}

// abortParse ends the parse without more problems: bison's error
// recovery ran into the end of the script (Cyrus then compiles an empty
// script, if no error was counted).
type abortParse struct{}

// syntax reports an unexpected token (the last one read, which becomes
// the lookahead again) and unwinds to the nearest place that recovers
// as bison does: a command becomes an error action (recoverCommand),
// the test of an if or a test list up to the error becomes false
// (thenElse, anyAll). The error is not reported within three tokens of
// the last recovery, nor inside the block of an ihave test naming an
// unknown extension (RFC 5463 4); only then does the script still
// compile.
func (p *parser) syntax(t token) {
	p.tok, p.have = t, true
	if p.tookDown {
		p.errStatus++
		p.tookDown = false
	}
	p.reportSyntax()
	panic(syntaxBail{})
}

// reportSyntax counts a syntax error, unless it is within three tokens
// of the last recovery or inside an ihave block.
func (p *parser) reportSyntax() {
	if p.ignoreErr == 0 && p.errStatus == 0 {
		// Cyrus's bison prints no more than this (YYERROR_VERBOSE is
		// not honoured by the bison it is built with)
		p.probs = append(p.probs, Problem{Line: p.lex.line, Msg: "syntax error"})
		if len(p.probs) >= maxProblems {
			panic(bail{})
		}
	}
}

// skipUntil discards tokens until the lookahead is one that ok accepts,
// as bison does after shifting its error token (errStatus 3).
func (p *parser) skipUntil(ok func(token) bool) {
	p.errStatus = 3
	for {
		t := p.peek()
		if ok(t) {
			return
		}
		if t.kind == tEOF {
			panic(abortParse{})
		}
		p.have = false
	}
}

// recoverCommand is bison's "command: error ';'": after a syntax error
// whose message was not counted, tokens up to the next ';' are dropped
// and the command becomes an error action naming the line.
func (p *parser) recoverCommand(c **command) {
	r := recover()
	if r == nil {
		return
	}
	if _, ok := r.(syntaxBail); !ok {
		panic(r)
	}
	p.skipUntil(func(t token) bool { return t.kind == tChar && t.ch == ';' })
	p.take()
	p.support |= capIhave
	msg := fmt.Sprintf("%s: line %d", errUnsuppExt, p.lex.line)
	*c = &command{op: opError, args: []arg{str(msg)}}
}

func (p *parser) has(c capa) bool { return p.support&c != 0 }

func (p *parser) need(c capa, name string) {
	if !p.has(c) {
		p.errorf(errMissingRequire, name)
	}
}

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tWord && t.text == w
}

func (p *parser) isChar(c byte) bool {
	t := p.peek()
	return t.kind == tChar && t.ch == c
}

func (p *parser) expectChar(c byte) {
	if t := p.take(); t.kind != tChar || t.ch != c {
		p.syntax(t)
	}
}

func (p *parser) enter() {
	p.depth++
	if p.depth > MaxDepth {
		p.probs = append(p.probs, Problem{Line: p.lex.line, Msg: "script nested too deeply"})
		panic(bail{})
	}
}

func (p *parser) leave() { p.depth-- }

// str reads a string argument; with variables, it checks the match
// variables it names.
func (p *parser) str() string {
	t := p.take()
	if t.kind != tString {
		p.syntax(t)
	}
	p.checkMatchVars(t.text)
	return t.text
}

// strList reads a string or a bracketed list of strings.
func (p *parser) strList() []string {
	if p.peek().kind == tString {
		return []string{p.str()}
	}
	p.expectChar('[')
	return listItems(p, p.str, "string")
}

// listItems reads the rest of a bracketed list whose '[' was taken:
// item *("," item) "]", at most MaxListLen items.
func listItems[T any](p *parser, item func() T, what string) []T {
	l := []T{item()}
	for p.isChar(',') {
		p.take()
		l = append(l, item())
		if len(l) > MaxListLen {
			p.probs = append(p.probs, Problem{Line: p.lex.line, Msg: what + " list too long"})
			panic(bail{})
		}
	}
	p.expectChar(']')
	return l
}

func (p *parser) number() int {
	t := p.take()
	if t.kind != tNumber {
		p.syntax(t)
	}
	return t.num
}

// script: requires, then commands.
func (p *parser) script() []*command {
	for p.isWord("require") {
		p.take()
		l := p.strList()
		p.expectChar(';')
		p.require(l)
	}
	var cmds []*command
	for p.peek().kind != tEOF {
		if len(cmds) > 0 && p.isChar('}') {
			// after a command, bison's (merged) state reduces on '}'
			// as if closing a block, reduces the whole script and
			// then finds no state to recover in: the parse ends
			p.reportSyntax()
			panic(abortParse{})
		}
		cmds = append(cmds, p.commandOrError())
	}
	return cmds
}

func (p *parser) commandOrError() (c *command) {
	depth := p.depth
	defer func() { p.depth = depth }()
	defer p.recoverCommand(&c)
	return p.command()
}

func (p *parser) require(l []string) {
	var bad []string
	for _, s := range l {
		c := p.o.active(s)
		p.support |= c
		if c == 0 {
			bad = append(bad, s)
		}
	}
	if len(bad) > 0 {
		p.errorf("Unsupported feature(s) in \"require\": %s", quoteList(bad))
	} else if p.has(capIhave) {
		p.support |= capAll &^ capIhaveIncompat
	}
	p.lex.encodedChar = p.has(capEncodedChar)
}

// block: '{' commands '}'.
func (p *parser) block() []*command {
	p.enter()
	defer p.leave()
	p.expectChar('{')
	var cmds []*command
	for !p.isChar('}') {
		// (at the end of the script, the command's error is the one)
		cmds = append(cmds, p.commandOrError())
	}
	p.take()
	return cmds
}

func (p *parser) command() *command {
	t := p.take()
	if t.kind != tWord {
		p.syntax(t)
	}
	switch t.text {
	case "if":
		return p.thenElse()
	case "stop":
		p.expectChar(';')
		return &command{op: opStop}
	case "error":
		msg := p.str()
		p.expectChar(';')
		p.checkUTF8(msg)
		p.need(capIhave, "ihave")
		return &command{op: opError, args: []arg{str(msg)}}
	case "include":
		bits := p.includeTags()
		name := p.str()
		p.expectChar(';')
		if strings.Contains(name, "/") {
			p.errorf(errInvalidValue, "script-name")
		}
		return &command{op: opInclude, args: []arg{argInt(bits), str(name)}}
	case "return":
		p.expectChar(';')
		p.need(capInclude, "include")
		return &command{op: opReturn}
	}
	c := p.action(t)
	p.expectChar(';')
	return c
}

// thenElse: test block [elsif thenelse | else block].
func (p *parser) thenElse() *command {
	p.enter()
	defer p.leave()
	var cond *test
	for attempt := 0; ; attempt++ {
		if c := p.tryThenElse(&cond, attempt == 0); c != nil {
			return c
		}
		// An ignored syntax error in the test, before the then block or
		// in the else/elsif part: bison goes back to the state after
		// "if" (the nearest one that takes its error token), so the
		// test becomes false and the next block is the then block.
		cond = &test{op: tcFalse}
		p.skipUntil(func(t token) bool { return t.kind == tChar && t.ch == '{' })
	}
}

// tryThenElse parses [test] block [elsif ... | else block]; nil after an
// ignored syntax error outside the blocks' commands (those recover on
// their own).
func (p *parser) tryThenElse(cond **test, withTest bool) (c *command) {
	depth := p.depth
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(syntaxBail); !ok {
				panic(r)
			}
			p.depth = depth
			c = nil
		}
	}()
	if withTest {
		*cond = p.test()
	}
	c = &command{op: opIf, cond: *cond}
	c.then = p.block()
	switch {
	case p.isWord("elsif"):
		p.take()
		c.els = []*command{p.thenElse()}
	case p.isWord("else"):
		p.take()
		c.els = p.block()
	}
	c.hasElse = len(c.els) > 0
	if (*cond).ignoreErr != 0 {
		p.ignoreErr--
	}
	return c
}

// includeTags reads :personal/:global, :once and :optional and
// returns them as Cyrus's bitmask.
func (p *parser) includeTags() int32 {
	p.need(capInclude, "include")
	location, once, optional := int32(-1), int32(-1), int32(-1)
	for {
		switch {
		case p.isWord(":personal"), p.isWord(":global"):
			w := p.take().text
			if location != -1 {
				p.errorf(errConflictingTags, ":personal", ":location")
			}
			location = bPersonal
			if w == ":global" {
				location = bGlobal
			}
			continue
		case p.isWord(":once"):
			p.take()
			if once != -1 {
				p.errorf(errDuplicateTag, ":once")
			}
			once = incOnce
			continue
		case p.isWord(":optional"):
			p.take()
			if optional != -1 {
				p.errorf(errDuplicateTag, ":optional")
			}
			optional = incOptional
			continue
		}
		break
	}
	if location == -1 {
		location = bPersonal
	}
	return location | max(once, 0) | max(optional, 0)
}
