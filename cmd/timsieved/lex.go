package main

import (
	"bufio"
	"io"
)

// The lexer reads ManageSieve input the way Cyrus 3.6.1's timsieved does
// (timsieved/lex.c), because its answers to malformed input depend on
// it: one token at a time, with a state that survives between calls, so
// that after an error the rest of the line is skipped ("recovering")
// only where Cyrus skips it, and a line with several errors gets several
// answers. RFC 5804 4 is the grammar it accepts, with Cyrus's limits:
//
//   - atoms are ASCII letters, looked up case-insensitively as command
//     names; any other atom is an error;
//   - a quoted string holds no NUL, CR, LF or 8-bit byte, and only \" and
//     \\ as escapes;
//   - a literal must be non-synchronizing ({n+}, RFC 5804 4: servers need
//     not support {n}); its size is checked against sieve_maxscriptsize
//     before anything is read, and a larger one is read and thrown away
//     without being stored;
//   - atoms and quoted strings are at most sieve_maxscriptsize-10 bytes.
//
// Memory per session is therefore bounded by sieve_maxscriptsize.

type tokKind int

const (
	tokEOF     tokKind = iota // the connection ended (or timed out)
	tokFail                   // a lexical error (Cyrus TIMSIEVE_FAIL)
	tokChar                   // any other byte, returned as itself ('(', ')', ' ', '*', ...)
	tokEOL                    // CRLF or LF
	tokString                 // quoted string or literal
	tokNumber                 // decimal number
	tokCommand                // a command name
)

// Command names (Cyrus lex.c token_lookup).
type command int

const (
	cmdNone command = iota
	cmdAuthenticate
	cmdCapability
	cmdCheckscript
	cmdDeletescript
	cmdGetscript
	cmdHavespace
	cmdListscripts
	cmdLogout
	cmdNoop
	cmdPutscript
	cmdRenamescript
	cmdSetactive
	cmdStarttls
	cmdUnauthenticate
)

var commandNames = map[string]command{
	"authenticate":   cmdAuthenticate,
	"capability":     cmdCapability,
	"checkscript":    cmdCheckscript,
	"deletescript":   cmdDeletescript,
	"getscript":      cmdGetscript,
	"havespace":      cmdHavespace,
	"listscripts":    cmdListscripts,
	"logout":         cmdLogout,
	"noop":           cmdNoop,
	"putscript":      cmdPutscript,
	"renamescript":   cmdRenamescript,
	"setactive":      cmdSetactive,
	"starttls":       cmdStarttls,
	"unauthenticate": cmdUnauthenticate,
}

func (c command) String() string {
	for n, v := range commandNames {
		if v == c {
			return n
		}
	}
	return ""
}

type token struct {
	kind tokKind
	ch   byte    // tokChar
	cmd  command // tokCommand
	str  []byte  // tokString (non-nil, possibly empty)
	num  uint64  // tokNumber
}

// aboveByte is Cyrus's "token > 255": strings, numbers, EOL and
// commands, the tokens that need a logged-in user when they start a
// command.
func (t token) aboveByte() bool {
	return t.kind == tokEOL || t.kind == tokString || t.kind == tokNumber || t.kind == tokCommand
}

type lexState int

const (
	stNormal lexState = iota
	stRecover
	stRecoverCR
	stCR
	stQuoted
	stLiteral
	stNumber
	stAtom
)

// lexer is one session's tokenizer.
type lexer struct {
	in      *bufio.Reader
	state   lexState
	max     int  // sieve_maxscriptsize in bytes
	starttl bool // STARTTLS is a command (TLS is configured)
	buf     []byte
}

func newLexer(in *bufio.Reader, maxSize int, starttls bool) *lexer {
	return &lexer{in: in, max: maxSize, starttl: starttls}
}

// recover makes the next call skip the rest of the current line.
func (l *lexer) recover() { l.state = stRecover }

func (l *lexer) fail() token {
	l.state = stRecover
	return token{kind: tokFail}
}

// failBack is an error whose last byte belongs to what follows.
func (l *lexer) failBack() token {
	l.in.UnreadByte()
	return l.fail()
}

// tokenLimit is how long an atom or quoted string may grow.
func (l *lexer) tokenLimit() int { return l.max - 10 }

// next returns the next token.
func (l *lexer) next() token {
	l.buf = l.buf[:0]
	var count, num uint64
	for {
		ch, err := l.in.ReadByte()
		if err != nil {
			return token{kind: tokEOF}
		}
		switch l.state {
		case stRecover:
			switch ch {
			case '\n':
				l.state = stNormal
			case '\r':
				l.state = stRecoverCR
			}
		case stRecoverCR:
			if ch == '\n' {
				l.state = stNormal
			}
		case stCR:
			if ch == '\n' {
				l.state = stNormal
				return token{kind: tokEOL}
			}
			return l.failBack()
		case stQuoted:
			if ch == '"' {
				l.state = stNormal
				return token{kind: tokString, str: append([]byte{}, l.buf...)}
			}
			if ch == 0 || ch == '\r' || ch == '\n' || ch > 0x7f {
				return l.failBack()
			}
			if len(l.buf) >= l.tokenLimit() {
				return l.failBack()
			}
			if ch == '\\' {
				c, err := l.in.ReadByte()
				if err != nil {
					return l.fail()
				}
				if c != '"' && c != '\\' {
					return l.failBack()
				}
				ch = c
			}
			l.buf = append(l.buf, ch)
		case stLiteral:
			if '0' <= ch && ch <= '9' {
				n := count*10 + uint64(ch-'0')
				if n < count {
					return l.failBack()
				}
				count = n
				continue
			}
			if ch != '+' {
				return l.failBack()
			}
			for _, want := range []byte("}\r\n") {
				c, err := l.in.ReadByte()
				if err != nil {
					return l.fail()
				}
				if c != want {
					return l.failBack()
				}
			}
			if count > uint64(l.max) {
				// too big: consumed, never stored
				io.CopyN(io.Discard, l.in, int64(min(count, 1<<62)))
				return l.fail()
			}
			l.state = stNormal
			return token{kind: tokString, str: l.readLiteral(int(count))}
		case stNumber:
			if '0' <= ch && ch <= '9' {
				n := num*10 + uint64(ch-'0')
				if n < num {
					return l.failBack()
				}
				num = n
				continue
			}
			l.state = stNormal
			l.in.UnreadByte()
			return token{kind: tokNumber, num: num}
		case stNormal:
			switch {
			case isAlpha(ch):
				l.state = stAtom
				l.buf = append(l.buf, lowerByte(ch))
				continue
			case '0' <= ch && ch <= '9':
				l.state = stNumber
				num = uint64(ch - '0')
				continue
			}
			switch ch {
			case '"':
				l.state = stQuoted
			case '{':
				count = 0
				l.state = stLiteral
			case '\r':
				l.state = stCR
			case '\n':
				return token{kind: tokEOL}
			default:
				return token{kind: tokChar, ch: ch}
			}
		case stAtom:
			if !isAlpha(ch) {
				c, ok := commandNames[string(l.buf)]
				if ok && (c != cmdStarttls || l.starttl) {
					l.state = stNormal
					l.in.UnreadByte()
					return token{kind: tokCommand, cmd: c}
				}
				return l.failBack()
			}
			if len(l.buf) >= l.tokenLimit() {
				return l.failBack()
			}
			l.buf = append(l.buf, lowerByte(ch))
		}
	}
}

// readLiteral reads n bytes (n is at most sieve_maxscriptsize); a
// connection that ends early gives what came, as in Cyrus.
func (l *lexer) readLiteral(n int) []byte {
	out := make([]byte, 0, min(n, 64*1024))
	var chunk [4096]byte
	for n > 0 {
		k, err := l.in.Read(chunk[:min(n, len(chunk))])
		out = append(out, chunk[:k]...)
		n -= k
		if err != nil {
			break
		}
	}
	return out
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
