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
	"sync/atomic"
	"time"

	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/sasl"
	"gyrus/lib/service"
	"gyrus/lib/tlsutil"
)

// Session is one IMAP connection. It belongs to one goroutine (during
// IDLE a second one only waits for the client's DONE). It holds no
// large buffer while it waits for a command: the response writer is
// borrowed from the server's pool for the duration of a command.
type Session struct {
	srv  *Server
	ss   *service.Session
	conn net.Conn // the transport now (TLS/COMPRESS wrap the raw one)
	raw  net.Conn
	p    *imapwire.Parser
	w    *imapwire.Writer // non-nil while a command runs
	dst  io.Writer        // where the writer writes (conn or compressor)

	sessionID  string
	tlsDone    bool
	tlsState   *tlsutil.State
	compressed bool

	// Authentication state.
	userid string // canonical user id; "" before login
	authID string // who authenticated (differs when proxying)
	// saslLogin: the login was an AUTHENTICATE. Cyrus then takes the
	// SASL layer's strength (0: Gyrus offers no layers) as the session's,
	// which hides the AUTH= capabilities after login even under TLS;
	// after LOGIN the TLS strength stays and they are shown.
	saslLogin    bool
	isAdmin      bool
	isProxyAdmin bool
	didID        bool
	saslSSF      int
	plainAlert   string // plaintextloginalert, shown before the next command

	// Client-enabled extensions (RFC 5161 ENABLE, or implied).
	condstore  bool
	qresync    bool
	utf8       bool         // mailbox names in UTF-8 (IMAP4rev2 or UTF8=ACCEPT)
	rev2       bool         // RFC 9051 ENABLE IMAP4rev2 (rev2.go)
	utf8Accept bool         // RFC 6855 ENABLE UTF8=ACCEPT (utf8accept.go)
	addedExt   imapwire.Ext // parser grammar ENABLE added (resetEnabled drops it)
	selTyped   string       // the name SELECT/EXAMINE was given (rev2.go OLDNAME)
	uidonly    bool         // RFC 9586 ENABLE UIDONLY (uidonly.go)

	esearchIn *esearchCorrelator // MULTISEARCH answer being written (multisearch.go)
	progress  *progressReporter  // INPROGRESS reports of the command (inprogress.go)
	notify    *notifyState       // RFC 5465 NOTIFY, nil without it (notify.go)

	sel       *selected // nil when no mailbox is selected
	searchRes []uint32  // RFC 5182 saved result (UIDs), nil = none

	lastQuotaRoot  string // warn_about_quota's rate limit
	nextQuotaAlert time.Time

	cmdName string // current command, for logs
	gated   string // name of the command being read (Gate), "" before

	mboxKeysGone bool // RESETKEY removed the mailbox key database
	closing      bool // LOGOUT or fatal error: leave the loop
}

func newSession(srv *Server, conn net.Conn, ss *service.Session) *Session {
	s := &Session{srv: srv, ss: ss, conn: conn, raw: conn, dst: conn}
	s.sessionID = newSessionID(srv)
	s.p = imapwire.NewParser(conn, imapwire.Options{
		Limits: srv.limits,
		// of the grammar beyond Cyrus 3.6.1, only the extensions Gyrus
		// offers: REPLACE, PARTIAL, MULTISEARCH (SEARCHRES, STATUS
		// DELETED and APPENDLIMIT get Cyrus's BAD)
		Ext:          replaceGrammar | partialGrammar | multiSearchGrammar,
		LiteralMinus: srv.cfg.Literalminus(),
		Continue:     s.continueLiteral,
		Gate:         s.gate,
		KnownCharset: knownCharset,
	})
	s.p.Register("RLIST", parseRList)
	s.p.Register("RLSUB", parseRList)
	s.p.Register("GENURLAUTH", parseGenURLAuth)
	s.p.Register("URLFETCH", parseURLFetch)
	s.p.Register("RESETKEY", parseResetKey)
	s.p.Register("NOTIFY", parseNotify) // notify_parse.go
	return s
}

// parseRList reads Cyrus's RLIST and RLSUB (LIST and LSUB for clients
// that understand mailbox referrals): a reference and a pattern.
func parseRList(a *imapwire.Args) (any, error) {
	ref, err := a.AString()
	if err != nil {
		return nil, err
	}
	pat, err := a.AString()
	if err != nil {
		return nil, err
	}
	if err := a.End(); err != nil {
		return nil, err
	}
	if strings.EqualFold(a.Name(), "RLSUB") {
		return &imapwire.Lsub{Reference: ref, Pattern: pat}, nil
	}
	return &imapwire.List{Reference: ref, Patterns: []string{pat}}, nil
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

// sessionCounter numbers the sessions of the process (Cyrus counts them
// per second; a process-wide counter is as unique).
var sessionCounter atomic.Uint64

// wr returns the response writer, borrowing one from the pool if the
// session has none (a command started).
func (s *Session) wr() *imapwire.Writer {
	if s.w == nil {
		s.w = s.srv.writers.Get().(*imapwire.Writer)
		s.w.Reset(s.dst)
		s.w.SetUTF8(s.utf8)
	}
	return s.w
}

// release flushes and gives the writer back to the pool.
func (s *Session) release() error {
	if s.w == nil {
		return nil
	}
	err := s.w.Flush()
	if err == nil {
		err = s.w.Err()
	}
	if err == nil {
		s.w.Reset(nil)
		s.srv.writers.Put(s.w)
	}
	// a writer that failed is dropped: it keeps its error
	s.w = nil
	return err
}

func (s *Session) continueLiteral(r imapwire.LiteralRequest) error {
	return s.wr().ContinueLiteral(r)
}

func (s *Session) authed() bool { return s.userid != "" }

// tlsRequired is Cyrus's imapd_tls_required: tls_required until the
// connection is under TLS (STARTTLS or imaps).
func (s *Session) tlsRequired() bool { return s.srv.cfg.TlsRequired() && !s.tlsDone }

// saslState is the connection as lib/sasl sees it. An external layer of
// strength 2 or more (-p) counts as encryption, as it does for Cyrus.
func (s *Session) saslState() sasl.ConnState {
	var st sasl.ConnState
	if s.tlsState != nil {
		st = s.tlsState.SASL()
	}
	if s.srv.flags.ExtSSF >= 2 {
		st.TLS = true
	}
	return st
}

// run is the whole session: greeting, commands until LOGOUT or the end
// of the connection, then the cleanup.
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
		if !s.startTLS(ctx, tlsutil.HandshakeTimeout) {
			return
		}
	}
	s.greeting()
	s.motd()
	if s.release() != nil {
		return
	}
	for !s.closing {
		if s.authed() && !s.isAdmin {
			if msg, ok := s.shutdownMessage(); ok {
				s.wr().RawString("* BYE [ALERT] " + strings.TrimLeft(msg, "[") + "\r\n")
				s.release()
				return
			}
		}
		s.raw.SetReadDeadline(time.Now().Add(s.srv.timeout))
		s.gated = ""
		cmd, err := s.p.ReadCommand()
		if err != nil {
			var e *imapwire.Error
			if errors.As(err, &e) {
				if s.gated == "ID" && !s.authed() && s.didID && e.Tag != "" && e.Status == imapwire.StatusBAD &&
					e.Text != "Missing required argument to Id" {
					// Cyrus answers a second ID before login before
					// reading its arguments
					e = &imapwire.Error{Tag: e.Tag, Status: imapwire.StatusOK, Text: "NIL", Bye: e.Bye}
				}
				s.wr().WriteError(e)
				if s.gated == "LIST" && e.Status == imapwire.StatusBAD && (e.Text == imapwire.TextStatusBad ||
					strings.HasPrefix(e.Text, "Invalid Status attributes ")) {
					// Cyrus's cmd_list leaves a character of the line
					// unread after a bad RETURN (STATUS ...): it comes
					// back as a line with an invalid tag.
					s.wr().RawString("* BAD Invalid tag\r\n")
				}
				if e.Fatal() {
					s.release()
					return
				}
				if s.release() != nil {
					return
				}
				continue
			}
			s.readFailed(ctx, err)
			return
		}
		s.raw.SetReadDeadline(time.Time{})
		s.plainAlertOnce()
		s.dispatch(cmd)
		s.notifyEndCommand() // notify.go
		if err := s.release(); err != nil {
			return
		}
	}
}

// readFailed ends the session after a read error: a timeout gets Cyrus's
// autologout BYE, a shutdown nothing, the end of the connection nothing.
func (s *Session) readFailed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		log.Printf(log.LevelWarning, "idle for too long, closing connection")
		s.wr().RawString("* BYE idle for too long\r\n")
		s.release()
		return
	}
	if err != io.EOF && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.ErrUnexpectedEOF) {
		log.Debug("read_failed", "sessionid", s.sessionID, "error", err)
	}
}

// greeting is Cyrus's "* OK [CAPABILITY ...] <servername> Cyrus IMAP
// <version> server ready", with Gyrus's name (serverinfo: off drops the
// name and version, min the version).
func (s *Session) greeting() {
	w := s.wr()
	w.RawString("* OK [CAPABILITY ")
	w.RawString(strings.Join(s.capabilityWords(capPre), " "))
	w.RawString("]")
	switch s.srv.cfg.Serverinfo() {
	case "on":
		w.RawString(" " + s.srv.servername + " Gyrus IMAP " + gyrusVersion())
	case "min":
		w.RawString(" " + s.srv.servername)
	}
	w.RawString(" server ready\r\n")
}

// motd sends the first line of {configdirectory}/msg/motd as an ALERT.
func (s *Session) motd() {
	line, ok := firstLine(filepath.Join(s.srv.cfg.Configdirectory(), "msg", "motd"))
	if !ok {
		return
	}
	s.wr().RawString("* OK [ALERT] " + strings.TrimLeft(line, "[") + "\r\n")
}

// shutdownMessage reads msg/shutdown.<service>, then msg/shutdown (Cyrus
// shutdown_file), and the user deny list.
func (s *Session) shutdownMessage() (string, bool) {
	dir := filepath.Join(s.srv.cfg.Configdirectory(), "msg")
	if line, ok := firstLine(filepath.Join(dir, "shutdown."+s.srv.ident)); ok {
		return line, true
	}
	if line, ok := firstLine(filepath.Join(dir, "shutdown")); ok {
		return line, true
	}
	if d := s.srv.authz.DenyDB(); d != nil {
		if denied, msg, _ := d.Check(s.userid, s.srv.ident); denied {
			return msg, true
		}
	}
	return "", false
}

func firstLine(path string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 512)
	line, _ := br.ReadString('\n')
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	return line, true
}

func (s *Session) plainAlertOnce() {
	if s.plainAlert != "" {
		s.wr().RawString("* OK [ALERT] " + s.plainAlert + "\r\n")
		s.plainAlert = ""
	}
}

// cleanup runs when the connection ends for any reason.
func (s *Session) cleanup() {
	s.release()
	s.notifyStop() // notify.go
	if s.sel != nil {
		s.closeSelected(s.srv.cfg.Autoexpunge())
	}
}

// ok writes "tag OK Completed".
func (s *Session) ok(tag string) {
	s.wr().StatusResponse(tag, imapwire.StatusOK, "", "Completed")
}

func (s *Session) okText(tag, text string) {
	s.wr().StatusResponse(tag, imapwire.StatusOK, "", text)
}

func (s *Session) okCode(tag string, code imapwire.Code, text string) {
	s.wr().StatusResponse(tag, imapwire.StatusOK, code, text)
}

func (s *Session) bad(tag, text string) {
	s.wr().StatusResponse(tag, imapwire.StatusBAD, "", text)
}

func (s *Session) noText(tag, text string) {
	s.wr().StatusResponse(tag, imapwire.StatusNO, "", text)
}

func (s *Session) noCode(tag string, code imapwire.Code, text string) {
	s.wr().StatusResponse(tag, imapwire.StatusNO, code, text)
}

// no answers NO with the text Cyrus gives for err (see errors.go).
func (s *Session) no(tag string, err error) {
	code, text := s.errText(err)
	s.wr().StatusResponse(tag, imapwire.StatusNO, code, text)
}
