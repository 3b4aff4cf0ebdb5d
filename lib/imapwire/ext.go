package imapwire

import (
	"math"

	"github.com/emersion/go-imap/v2"
)

// Args gives an ExtensionFunc the parser's reading primitives. Each method
// returns a ready-to-send *Error (the line already skipped) when the input
// does not fit, using Cyrus's generic texts ("Missing required argument to
// X", "Unexpected extra arguments to X"...). After an error the command is
// over: return the error.
type Args struct {
	p *Parser
	c int // byte after the last token
}

func extHandler(fn ExtensionFunc) handler {
	return func(p *Parser, c int, _ bool) (any, error) {
		return fn(&Args{p: p, c: c})
	}
}

// Name returns Cyrus's spelling of the command ("Xfoo").
func (a *Args) Name() string { return a.p.display }

// Tag returns the command's tag.
func (a *Args) Tag() string { return a.p.tag }

// More reports whether an argument follows (the last token ended with a
// space); it consumes nothing.
func (a *Args) More() bool { return a.c == ' ' }

// Space requires the space that separates arguments.
func (a *Args) Space() error {
	if a.c != ' ' {
		return a.p.missingArgs(a.c)
	}
	return nil
}

// Atom reads a word (an atom as Cyrus reads them). It requires the
// separating space first.
func (a *Args) Atom() (string, error) {
	if err := a.Space(); err != nil {
		return "", err
	}
	a.c = a.p.getword()
	if len(a.p.tok) == 0 {
		return "", a.p.missingArgs(a.c)
	}
	return string(a.p.tok), nil
}

// AString reads an astring (atom, quoted string or literal).
func (a *Args) AString() (string, error) {
	if err := a.Space(); err != nil {
		return "", err
	}
	s, c := a.p.astring()
	a.c = c
	if c < 0 {
		return "", a.p.missingArgs(c)
	}
	return s, nil
}

// NString reads a string or NIL (ok is false for NIL).
func (a *Args) NString() (s string, ok bool, err error) {
	if err := a.Space(); err != nil {
		return "", false, err
	}
	isNil, c := a.p.getxstring(gxNString)
	a.c = c
	if c < 0 {
		return "", false, a.p.missingArgs(c)
	}
	return string(a.p.tok), !isNil, nil
}

// Number reads a 32-bit unsigned number.
func (a *Args) Number() (uint32, error) {
	n, err := a.number(math.MaxUint32)
	return uint32(n), err
}

// Number64 reads a 63-bit unsigned number (RFC 9051 number64).
func (a *Args) Number64() (uint64, error) {
	return a.number(math.MaxInt64)
}

func (a *Args) number(max uint64) (uint64, error) {
	if err := a.Space(); err != nil {
		return 0, err
	}
	n, c, ok := a.p.getnumber(max)
	a.c = c
	if !ok {
		return 0, a.p.fail(c, newBAD(a.p.tag, TextMissingArgs, a.p.display))
	}
	if !wordEnd(c) {
		return 0, a.p.extraArgs(c)
	}
	return n, nil
}

// NumSet reads a sequence set (UIDs when uid).
func (a *Args) NumSet(uid bool) (imap.NumSet, error) {
	if err := a.Space(); err != nil {
		return nil, err
	}
	a.c = a.p.getword()
	set, ok := a.p.numSet(a.p.tok, uid)
	if !ok {
		return nil, a.p.badSequence(a.c)
	}
	return set, nil
}

// List reads a parenthesised list, calling item for each element (item
// reads the element with the other methods, which then need no leading
// space).
func (a *Args) List(item func() error) error {
	if err := a.Space(); err != nil {
		return err
	}
	p := a.p
	if c := p.getc(); c != '(' {
		return p.missingArgs(c)
	}
	if p.depth++; p.depth > p.lim.MaxDepth {
		return p.tooDeep(' ')
	}
	defer func() { p.depth-- }()
	if c := p.getc(); c == ')' {
		a.c = p.getc()
		return nil
	} else {
		p.ungetc(c)
	}
	for {
		if !p.item() {
			return p.tooMany(' ')
		}
		a.c = ' ' // the element's reader expects a separator
		if err := item(); err != nil {
			return err
		}
		if a.c != ' ' {
			break
		}
	}
	if a.c != ')' {
		return p.missingArgs(a.c)
	}
	a.c = p.getc()
	return nil
}

// End requires the end of the command line.
func (a *Args) End() error {
	c := a.c
	if !a.p.isEOL(&c) {
		return a.p.extraArgs(c)
	}
	a.c = c
	return nil
}

// Bad returns a BAD with the given text after skipping the rest of the
// line.
func (a *Args) Bad(text string) error {
	return a.p.fail(a.c, newBAD(a.p.tag, "%s", text))
}
