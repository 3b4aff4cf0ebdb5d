package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gyrus/lib/acl"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/sasl"
	"gyrus/lib/service"
	"gyrus/lib/tlsutil"
)

// msg is one message of the maildrop as the session numbers it (Cyrus's
// popd_map): fixed at login; DELE and RETR only mark it.
type msg struct {
	uid     uint32
	size    uint32
	deleted bool // DELE (undone by RSET)
	seen    bool // RETR (undone by RSET)
}

// Session is one POP3 connection, run by one goroutine. While it waits
// for a command it holds no output buffer (the writer is borrowed from a
// pool while answers are pending) and no index lock: the maildrop's
// mailbox stays open (its name lock shared) from login to the end, as
// in Cyrus, so that nobody repacks it under the message list.
type Session struct {
	srv  *Server
	ss   *service.Session
	raw  net.Conn
	conn net.Conn // the transport now (TLS wraps raw)
	in   *bufio.Reader
	out  *bufio.Writer // nil while nothing is pending

	bytesIn, bytesOut int64

	sessionID   string
	apopChal    string // "<rand.time@servername>", "" when APOP is off
	tlsDone     bool
	tlsState    *tlsutil.State
	tlsRequired bool // tls_required, until STLS
	ssf         int  // Cyrus saslprops.ssf: TLS bits, replaced by the mechanism's after AUTH
	sasl        sasl.Server

	// Authorization state (Cyrus popd_userid, popd_subfolder,
	// popd_authstate).
	userid    string // after USER, or the logged-in user
	subfolder string // "+sub" of a user+sub login (popsubfolders), with its '+'
	hasSub    bool
	authed    bool

	// Transaction state.
	mb          *mailbox.Mailbox // nil: not logged in, or nothing opened
	mboxName    string
	msgs        []msg
	rights      acl.Rights
	useACL      bool
	useIMAPFlag bool
	loginTime   int64
	uidValidity uint32
	newUIDL     bool

	countRetr, countTop, countDele int

	line    []byte // the command being read
	closing bool   // QUIT, or the connection is unusable
}

func newSession(srv *Server, conn net.Conn, ss *service.Session) *Session {
	s := &Session{srv: srv, ss: ss, raw: conn, conn: conn}
	s.sessionID = newSessionID(srv)
	s.tlsRequired = srv.cfg.TlsRequired()
	s.sasl = *srv.sasl
	s.sasl.Canon = s.canon
	s.sasl.Authorize = s.srv.authz.Authorize
	s.in = bufio.NewReaderSize(inbound{s}, 1024)
	return s
}

// inbound is the session's input: before it blocks for more bytes it
// flushes the pending answers (Cyrus prot_setflushonread), so pipelined
// commands get their answers in as few packets as possible.
type inbound struct{ s *Session }

func (r inbound) Read(p []byte) (int, error) {
	if err := r.s.release(); err != nil {
		return 0, err
	}
	n, err := r.s.conn.Read(p)
	r.s.bytesIn += int64(n)
	return n, err
}

// outbound counts what goes to the client (auditlog).
type outbound struct{ s *Session }

func (w outbound) Write(p []byte) (int, error) {
	n, err := w.s.conn.Write(p)
	w.s.bytesOut += int64(n)
	return n, err
}

var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 16384) }}

// w returns the output buffer, borrowing one if the session has none.
func (s *Session) w() *bufio.Writer {
	if s.out == nil {
		s.out = writers.Get().(*bufio.Writer)
		s.out.Reset(outbound{s})
	}
	return s.out
}

// release flushes the pending answers and gives the buffer back.
func (s *Session) release() error {
	if s.out == nil {
		return nil
	}
	err := s.out.Flush()
	if err == nil {
		s.out.Reset(nil)
		writers.Put(s.out)
	} else {
		s.closing = true
	}
	s.out = nil
	return err
}

// reply writes one answer line.
func (s *Session) reply(line string) {
	w := s.w()
	w.WriteString(line)
	w.WriteString("\r\n")
}

func (s *Session) replyf(format string, args ...any) {
	fmt.Fprintf(s.w(), format, args...)
	s.w().WriteString("\r\n")
}

// newSessionID is Cyrus's session_new_id: <prefix>-<time>-<pid>-<n>-<random>,
// where prefix is syslog_prefix or the server name.
func newSessionID(srv *Server) string {
	base := srv.cfg.SyslogPrefix()
	if base == "" {
		base = srv.servername
	}
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("%.128s-%d-%d-%d-%d", base, time.Now().Unix(), os.Getpid(), sessionCounter.Add(1), binary.LittleEndian.Uint64(b[:]))
}

var sessionCounter atomic.Uint64

// clientHost is "name [ip]" as Cyrus logs it.
func (s *Session) clientHost() string {
	if s.ss != nil && s.ss.ClientHost != "" {
		return s.ss.ClientHost
	}
	return "[local]"
}

// run is the whole session: greeting, commands until QUIT or the end of
// the connection, then the cleanup.
func (s *Session) run(ctx context.Context) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("session_panic", "sessionid", s.sessionID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
		s.cleanup()
	}()
	stop := context.AfterFunc(ctx, func() { s.raw.SetReadDeadline(time.Now()) })
	defer stop()

	if s.srv.flags.ImplicitTLS {
		// pop3d -s: the handshake comes before anything else, within
		// 180 s (Cyrus tls_start_servertls for pop3s).
		if !s.handshake(ctx, tlsutil.HandshakeTimeout) {
			log.Printf(log.LevelNotice, "pop3s failed: %s", s.clientHost())
			return
		}
	}
	s.greeting()
	for !s.closing {
		if msg, ok := s.shutdownMessage(); ok {
			s.reply("-ERR [SYS/TEMP] " + strings.TrimLeft(msg, "["))
			s.release()
			return
		}
		line, err := s.readLine()
		if err != nil {
			return // EOF, timeout (Cyrus closes without a word) or shutdown
		}
		if s.vanished() {
			log.Printf(log.LevelWarning, "Maildrop %s has been (re)moved out from under client", s.mboxName)
			s.reply("-ERR [SYS/TEMP] Maildrop has been (re)moved")
			s.release()
			return
		}
		s.dispatch(parseCommand(line))
	}
	s.release()
}

// greeting is Cyrus's "+OK <servername> Cyrus POP3 <version> server
// ready <apop challenge>", with Gyrus's name; serverinfo: min drops the
// version, off the server name too. The challenge (RFC 1939 7) is there
// when APOP can be used.
func (s *Session) greeting() {
	if s.srv.apop != nil && !s.tlsRequired {
		s.apopChal = newAPOPChallenge(s.srv.servername)
	}
	b := strings.Builder{}
	b.WriteString("+OK")
	switch s.srv.cfg.Serverinfo() {
	case "on":
		b.WriteString(" " + s.srv.servername + " " + implementation())
	case "min":
		b.WriteString(" " + s.srv.servername)
	}
	b.WriteString(" server ready " + s.apopChal)
	s.reply(b.String())
}

// readLine reads one command line of at most maxLine bytes, as Cyrus's
// prot_fgets: up to and including LF, or maxLine bytes, or what came
// before the end of the input. The poptimeout applies to the whole line.
func (s *Session) readLine() ([]byte, error) {
	s.raw.SetReadDeadline(time.Now().Add(s.srv.timeout))
	defer s.raw.SetReadDeadline(time.Time{})
	s.line = s.line[:0]
	for len(s.line) < maxLine {
		c, err := s.in.ReadByte()
		if err != nil {
			if len(s.line) > 0 && errors.Is(err, io.EOF) {
				return s.line, nil
			}
			return nil, err
		}
		s.line = append(s.line, c)
		if c == '\n' {
			break
		}
	}
	return s.line, nil
}

// shutdownMessage is checked before every command (Cyrus cmdloop):
// {configdirectory}/msg/shutdown.<ident>, then msg/shutdown, then, once
// a user is named, the user deny list.
func (s *Session) shutdownMessage() (string, bool) {
	dir := filepath.Join(s.srv.cfg.Configdirectory(), "msg")
	if line, ok := firstLine(filepath.Join(dir, "shutdown."+s.srv.ident)); ok {
		return line, true
	}
	if line, ok := firstLine(filepath.Join(dir, "shutdown")); ok {
		return line, true
	}
	if s.userid == "" {
		return "", false
	}
	if d := s.srv.authz.DenyDB(); d != nil {
		if denied, msg, _ := d.Check(s.userid, s.srv.ident); denied {
			return msg, true
		}
	}
	return "", false
}

// firstLine is the first line of a file, cut at its first CR and its
// first LF (Cyrus shutdown_file reads up to 8191 bytes of it).
func firstLine(path string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 512)
	var b []byte
	for len(b) < maxLine {
		c, err := br.ReadByte()
		if err != nil {
			break
		}
		b = append(b, c)
		if c == '\n' {
			break
		}
	}
	line := string(b)
	if i := strings.IndexByte(line, '\r'); i >= 0 {
		line = line[:i]
	}
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	return line, true
}

// vanished: disconnect_on_vanished_mailbox is on and the maildrop was
// deleted (or renamed away) under the session.
func (s *Session) vanished() bool {
	if s.mb == nil || !s.srv.cfg.DisconnectOnVanishedMailbox() {
		return false
	}
	if err := s.mb.Refresh(); err != nil {
		return errors.Is(err, mailbox.ErrDeleted) || errors.Is(err, mailbox.ErrNotFound)
	}
	return s.mb.Header().Options&index.OptMailboxDeleted != 0
}

// cleanup runs when the connection ends for any reason: what QUIT did
// not commit is forgotten (RFC 1939 6: no UPDATE state without QUIT).
func (s *Session) cleanup() {
	s.release()
	s.closeMailbox()
	log.Printf(log.LevelNotice, "counts: retr=<%d> top=<%d> dele=<%d>", s.countRetr, s.countTop, s.countDele)
	if s.srv.cfg.Auditlog() {
		log.Printf(log.LevelNotice, "auditlog: traffic sessionid=<%s> bytes_in=<%d> bytes_out=<%d>", s.sessionID, s.bytesIn, s.bytesOut)
	}
}

func (s *Session) closeMailbox() {
	if s.mb != nil {
		if err := s.mb.Close(); err != nil {
			log.Error("mailbox_close", "mailbox", s.mboxName, "error", err)
		}
		s.mb = nil
	}
}

// dispatch runs one command (Cyrus cmdloop). QUIT and CAPA work in every
// state; the others only in the state RFC 1939 gives them, else
// "Unrecognized command".
func (s *Session) dispatch(c command) {
	if c.syntaxErr {
		s.reply(errSyntax)
		return
	}
	if s.srv.cfg.Chatty() {
		log.Printf(log.LevelNotice, "command: %s", c.name)
	}
	if s.ss != nil {
		s.ss.SetCommand(c.name)
	}
	switch {
	case c.name == "quit":
		if c.hasArg {
			s.reply(errExtra)
			return
		}
		s.cmdQuit()
	case c.name == "capa":
		if c.hasArg {
			s.reply(errExtra)
			return
		}
		s.cmdCapa()
	case !s.authed:
		s.dispatchAuth(c)
	default:
		s.dispatchTransaction(c)
	}
}

// dispatchAuth: the AUTHORIZATION state (RFC 1939 4).
func (s *Session) dispatchAuth(c command) {
	switch {
	case c.name == "user":
		if !c.hasArg {
			s.reply(errMissing)
			return
		}
		s.cmdUser(c.arg)
	case c.name == "pass":
		if !c.hasArg {
			s.reply(errMissing)
			return
		}
		s.cmdPass(c.arg)
	case c.name == "apop" && s.apopChal != "":
		if !c.hasArg {
			s.reply(errMissing)
			return
		}
		s.cmdAPOP(c.arg)
	case c.name == "auth":
		s.cmdAuth(c.arg, c.hasArg)
	case c.name == "stls" && s.srv.tlsConfigured:
		if c.hasArg {
			s.reply(errExtra)
			return
		}
		s.cmdSTLS()
	default:
		s.reply(errUnknownCmd)
	}
}

// dispatchTransaction: the TRANSACTION state (RFC 1939 5, RFC 2449 TOP
// and UIDL).
func (s *Session) dispatchTransaction(c command) {
	switch c.name {
	case "stat":
		if c.hasArg {
			s.reply(errExtra)
			return
		}
		s.cmdStat()
	case "list":
		s.cmdList(c.arg, c.hasArg)
	case "retr":
		if !c.hasArg {
			s.reply(errMissing)
			return
		}
		s.cmdRetr(c.arg)
	case "dele":
		s.cmdDele(c.arg, c.hasArg)
	case "noop":
		if c.hasArg {
			s.reply(errExtra)
			return
		}
		s.reply("+OK")
	case "rset":
		if c.hasArg {
			s.reply(errExtra)
			return
		}
		for i := range s.msgs {
			s.msgs[i].deleted, s.msgs[i].seen = false, false
		}
		s.reply("+OK")
	case "top":
		s.cmdTop(c.arg)
	case "uidl":
		s.cmdUIDL(c.arg, c.hasArg)
	default:
		s.reply(errUnknownCmd)
	}
}
