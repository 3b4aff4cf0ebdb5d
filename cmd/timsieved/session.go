package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"gyrus/lib/log"
	"gyrus/lib/sasl"
	"gyrus/lib/service"
	"gyrus/lib/sievedir"
	"gyrus/lib/tlsutil"
)

// Session is one ManageSieve connection, run by one goroutine.
type Session struct {
	srv  *Server
	ss   *service.Session
	raw  net.Conn
	conn net.Conn // raw, or the TLS connection over it
	in   *bufio.Reader
	out  *bufio.Writer
	lex  *lexer

	tlsDone     bool
	tlsState    *tlsutil.State
	tlsRequired bool // tls_required, until STARTTLS
	sasl        sasl.Server

	authed     bool
	userid     string
	isAdmin    bool // the authenticated id is an admin acting as itself
	verifyOnly bool // logged in as anonymous: only CHECKSCRIPT/PUTSCRIPT check scripts
	dir        *sievedir.Dir

	closing bool
}

func newSession(srv *Server, conn net.Conn, ss *service.Session) *Session {
	s := &Session{srv: srv, ss: ss, raw: conn, conn: conn}
	s.tlsRequired = srv.cfg.TlsRequired()
	s.sasl = *srv.sasl
	s.sasl.Canon = srv.authz.Canon
	s.sasl.Authorize = srv.authz.Authorize
	s.in = bufio.NewReaderSize(inbound{s}, 4096)
	s.out = bufio.NewWriterSize(outbound{s}, 4096)
	s.lex = newLexer(s.in, srv.maxScriptSize, srv.tlsConfigured)
	return s
}

// inbound flushes the pending answers before the session waits for
// input (Cyrus prot_setflushonread) and applies the timeout to each wait.
type inbound struct{ s *Session }

func (r inbound) Read(p []byte) (int, error) {
	if err := r.s.out.Flush(); err != nil {
		return 0, err
	}
	r.s.raw.SetReadDeadline(time.Now().Add(r.s.srv.timeout))
	return r.s.conn.Read(p)
}

type outbound struct{ s *Session }

func (w outbound) Write(p []byte) (int, error) { return w.s.conn.Write(p) }

func (s *Session) clientHost() string {
	if s.ss != nil && s.ss.ClientHost != "" {
		return s.ss.ClientHost
	}
	return "[local]"
}

func (s *Session) reply(line string) {
	s.out.WriteString(line)
	s.out.WriteString("\r\n")
}

// no answers a failed command: NO "<text>".
func (s *Session) no(text string) { s.reply(`NO "` + text + `"`) }

// run is the whole session: the capability greeting (RFC 5804 1.7),
// then commands until LOGOUT or the end of the connection.
func (s *Session) run(ctx context.Context) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("session_panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
		s.out.Flush()
	}()
	stop := context.AfterFunc(ctx, func() { s.raw.SetReadDeadline(time.Now()) })
	defer stop()
	s.capabilities()
	for !s.closing {
		s.command()
	}
}

// command reads and runs one command (Cyrus timsieved/parser.c parser).
func (s *Session) command() {
	t := s.lex.next()
	for t.kind == tokEOL {
		t = s.lex.next()
	}
	if t.kind == tokEOF {
		// the client went away, or was silent for too long
		log.Printf(log.LevelWarning, "Lost connection to client -- exiting")
		s.reply(`BYE "Shutdown TCP timeout"`)
		s.closing = true
		return
	}
	if !s.authed && t.aboveByte() && !(t.kind == tokCommand && preAuth(t.cmd)) {
		s.lex.recover()
		s.no("Authenticate first")
		return
	}
	if s.verifyOnly && t.aboveByte() && !(t.kind == tokCommand &&
		(t.cmd == cmdCheckscript || t.cmd == cmdPutscript || t.cmd == cmdLogout)) {
		s.lex.recover()
		s.no("Script verification only")
		return
	}
	if t.kind != tokCommand {
		s.no("Expected a command. Got something else.")
		return
	}
	if s.ss != nil {
		s.ss.SetCommand(t.cmd.String())
	}
	if err := s.dispatch(t.cmd); err != "" {
		s.no(err)
	}
}

// preAuth: the commands RFC 5804 allows before authentication.
func preAuth(c command) bool {
	switch c {
	case cmdAuthenticate, cmdLogout, cmdCapability, cmdNoop, cmdCheckscript, cmdStarttls:
		return true
	}
	return false
}

// args reads the arguments of a command: a pattern of ' ' (a space),
// 's' (a string), 'n' (a number) and the end of line, with the error
// text for each position. It returns the strings and numbers read, or
// the text of the first error.
type argSpec struct {
	kind byte // ' ', 's', 'n', '\n'
	err  string
}

func (s *Session) args(spec ...argSpec) (strs [][]byte, nums []uint64, errText string) {
	for _, a := range spec {
		t := s.lex.next()
		ok := false
		switch a.kind {
		case ' ':
			ok = t.kind == tokChar && t.ch == ' '
		case 's':
			ok = t.kind == tokString
			strs = append(strs, t.str)
		case 'n':
			ok = t.kind == tokNumber
			nums = append(nums, t.num)
		case '\n':
			ok = t.kind == tokEOL
		}
		if !ok {
			return nil, nil, a.err
		}
	}
	return strs, nums, ""
}

func space(err string) argSpec { return argSpec{' ', err} }
func str(err string) argSpec   { return argSpec{'s', err} }
func eol() argSpec             { return argSpec{'\n', "Expected EOL"} }

// dispatch parses the arguments of c and runs it; a parse error is
// returned as the text of the NO answer.
func (s *Session) dispatch(c command) string {
	switch c {
	case cmdAuthenticate:
		return s.cmdAuthenticate()

	case cmdCapability:
		if _, _, e := s.args(eol()); e != "" {
			return e
		}
		s.capabilities()

	case cmdCheckscript:
		a, _, e := s.args(space("SPACE must occur after CHECKSCRIPT"),
			str("Expected script content as second parameter"), eol())
		if e != "" {
			return e
		}
		s.putScript("f", a[0], true)

	case cmdHavespace:
		a, n, e := s.args(space("SPACE must occur after HAVESPACE"), str("Did not specify script name"),
			space("Expected SPACE after SCRIPTNAME"), argSpec{'n', "Expected Number"}, eol())
		if e != "" {
			return e
		}
		s.cmdHavespace(a[0], n[0])

	case cmdLogout:
		// RFC 5804 2.3; a connection closed right after LOGOUT counts
		t := s.lex.next()
		if t.kind != tokEOL && t.kind != tokEOF && !(t.kind == tokCommand && t.cmd == cmdLogout) {
			return "Garbage after logout command"
		}
		s.reply(`OK "Logout Complete"`)
		s.unsetUser()
		s.closing = true

	case cmdGetscript:
		a, _, e := s.args(space("SPACE must occur after GETSCRIPT"), str("Did not specify script name"), eol())
		if e != "" {
			return e
		}
		s.cmdGetscript(a[0])

	case cmdPutscript:
		a, _, e := s.args(space("SPACE must occur after PUTSCRIPT"), str("Did not specify script name"),
			space("Expected SPACE"), str("Did not specify legal script data length"), eol())
		if e != "" {
			return e
		}
		s.putScript(string(a[0]), a[1], s.verifyOnly)

	case cmdSetactive:
		a, _, e := s.args(space("SPACE must occur after SETACTIVE"), str("Did not specify script name"), eol())
		if e != "" {
			return e
		}
		s.cmdSetactive(a[0])

	case cmdRenamescript:
		a, _, e := s.args(space("SPACE must occur after RENAMESCRIPT"), str("Did not specify old script name"),
			space("Expected SPACE"), str("Did not specify new script name"), eol())
		if e != "" {
			return e
		}
		s.cmdRenamescript(a[0], a[1])

	case cmdDeletescript:
		a, _, e := s.args(space("SPACE must occur after DELETESCRIPT"), str("Did not specify script name"), eol())
		if e != "" {
			return e
		}
		s.cmdDeletescript(a[0])

	case cmdListscripts:
		if _, _, e := s.args(eol()); e != "" {
			return e
		}
		s.cmdListscripts()

	case cmdStarttls:
		if _, _, e := s.args(eol()); e != "" {
			return e
		}
		s.in.Discard(s.in.Buffered()) // RFC 5804 2.2: nothing may be pipelined after it
		s.cmdStarttls()

	case cmdNoop:
		// RFC 5804 2.13: an optional tag, echoed back
		tag, e := s.optionalArg()
		if e != "" {
			return e
		}
		if len(tag) > 0 {
			s.out.WriteString("OK (TAG {" + strconv.Itoa(len(tag)) + "}\r\n")
			s.out.Write(tag)
			s.reply(`) "Done"`)
		} else {
			s.reply(`OK "Done"`)
		}

	case cmdUnauthenticate:
		// RFC 5804 2.14.1
		if _, _, e := s.args(eol()); e != "" {
			return e
		}
		s.reply("OK")
		s.authed = false
		s.unsetUser()
	}
	return ""
}

// printString writes s as Cyrus's prot_printstring does: a quoted
// string when it is short and holds no CR, LF, 8-bit byte, '"', '%' or
// '\', else a literal.
func (s *Session) printString(v string) {
	if i := strings.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	quoted := len(v) < 1024
	for i := 0; quoted && i < len(v); i++ {
		switch c := v[i]; {
		case c&0x80 != 0, c == '\r', c == '\n', c == '"', c == '%', c == '\\':
			quoted = false
		}
	}
	if quoted {
		s.out.WriteString(`"` + v + `"`)
		return
	}
	s.out.WriteString("{" + strconv.Itoa(len(v)) + "}\r\n" + v)
}

// unsetUser forgets the logged-in user (Cyrus actions_unsetuser).
func (s *Session) unsetUser() {
	s.userid, s.isAdmin, s.verifyOnly, s.dir = "", false, false, nil
	if s.ss != nil {
		s.ss.SetUser("")
	}
}

// optionalArg reads the end of a command that takes one optional string
// (AUTHENTICATE's initial response, NOOP's tag): the end of the line, or
// a space, the string and the end of the line. It returns the string
// (nil without one) or the error text to answer.
func (s *Session) optionalArg() ([]byte, string) {
	var arg []byte
	t := s.lex.next()
	if t.kind != tokEOL {
		if t.kind != tokChar || t.ch != ' ' {
			return nil, "Expected SPACE"
		}
		a, _, e := s.args(str("Expected string"))
		if e != "" {
			return nil, e
		}
		arg = a[0]
		t = s.lex.next()
	}
	if t.kind != tokEOL {
		return nil, "Expected EOL"
	}
	return arg, ""
}
