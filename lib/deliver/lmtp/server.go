package lmtp

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"gyrus/lib/deliver"
	"gyrus/lib/log"
	"gyrus/lib/message"
	"gyrus/lib/sasl"
	"gyrus/lib/tlsutil"
)

// Backend is the delivery side of a session (lib/deliver's Deliverer).
type Backend interface {
	// Verify answers RCPT TO for an address without angle brackets.
	Verify(addr string, ignoreQuota bool, size int64, auth deliver.Auth) (*deliver.Recipient, error)
	// StageDir is where the message for these recipients is spooled.
	StageDir(rcpts []*deliver.Recipient) string
	// Deliver delivers a spooled message, one result per recipient, all
	// of them durable when it returns.
	Deliver(ctx context.Context, m *deliver.Message, rcpts []*deliver.Recipient) []error
}

// Config is what every session of a process shares. It is read-only
// once sessions run.
type Config struct {
	ServerName string // servername
	// ServerInfo is serverinfo: "on" names the product and version in
	// the greeting and the Received header field.
	ServerInfo string
	Product    string // "Gyrus"
	Version    string
	// MaxMessageSize is maxmessagesize in bytes; 0 is Cyrus's INT_MAX.
	MaxMessageSize   int64
	Reject8bit       bool // reject8bit
	Munge8bit        bool // munge8bit
	StrictRFC2821    bool // lmtp_strict_rfc2821
	SoftNoAuth       bool // soft_noauth: 430 instead of 530
	QuotaPermFailure bool // lmtp_over_quota_perm_failure
	Postmaster       string
	Chatty           bool
	// ShutdownFile is {configdirectory}/msg/shutdown: while it exists,
	// commands other than LHLO, NOOP and QUIT get 421 and the session
	// ends.
	ShutdownFile string
	// Timeout is how long a client may stay silent (Cyrus: 6 minutes).
	Timeout time.Duration
	// AddHeaders are written after X-Cyrus-Session-Id in every message
	// (Cyrus with Sieve adds "X-Sieve: CMU Sieve 3.0").
	AddHeaders []deliver.Header
	// SessionIDBase is syslog_prefix, or the server name.
	SessionIDBase string
	TLS           *tlsutil.Server // nil: no STARTTLS
	SASL          *sasl.Server    // nil: no AUTH but EXTERNAL when pre-authorized
}

// Conn describes one client connection.
type Conn struct {
	// ClientHost is "name [ip]", "[ip]" or "[unix socket]" (Cyrus
	// get_clienthost), written into the Received field.
	ClientHost string
	// Unix: the connection came in on a UNIX socket, which is always
	// pre-authorized as postman.
	Unix bool
	// PreAuth is lmtpd -a: TCP clients are pre-authorized too.
	PreAuth bool
	// SetUser, when set, is told the authenticated user (proc files).
	SetUser func(string)
}

// auth states (Cyrus clientdata.authenticated)
const (
	authTLSCert  = -2 // TLS client certificate, no AUTH yet
	authExternal = -1 // pre-authorized, AUTH still accepted
	authNone     = 0
	authDone     = 1
)

// session is one LMTP connection (Cyrus lmtpmode).
type session struct {
	cfg     *Config
	be      Backend
	ci      Conn
	conn    net.Conn
	r       *reader
	bw      *bufio.Writer
	preauth bool

	// spoolW buffers the message on its way to the spooler; kept for
	// the session's next messages (one 64 KB buffer per message was most
	// of the garbage a delivery left, a collection every 15 messages)
	spoolW *bufio.Writer

	sessionID    string
	lhlo         string
	authState    int
	starttlsDone bool
	tlsState     *tlsutil.State
	authedUser   string

	// the transaction (Cyrus message_data)
	returnPath *string
	authUser   *string
	size       int64
	rcpts      []*deliver.Recipient
}

var sessionCount atomic.Uint64

// newSessionID is Cyrus's session_new_id: <base>-<time>-<pid>-<n>-<random>.
func newSessionID(base string) string {
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("%.128s-%d-%d-%d-%d", base, time.Now().Unix(), os.Getpid(),
		sessionCount.Add(1), binary.LittleEndian.Uint64(b[:]))
}

// Serve runs one LMTP session on conn until the client quits or goes
// away, or ctx is cancelled (at the next command).
func Serve(ctx context.Context, conn net.Conn, cfg *Config, be Backend, ci Conn) {
	s := &session{cfg: cfg, be: be, ci: ci, conn: conn, bw: bufio.NewWriterSize(conn, 8192)}
	s.r = newReader(conn, conn, s.bw.Flush, cfg.Timeout)
	s.preauth = ci.Unix || ci.PreAuth
	if s.preauth {
		s.authState = authExternal
		log.Debug("connection", "from", ci.ClientHost, "preauth", "postman")
	}
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	s.sessionID = newSessionID(cfg.SessionIDBase)
	greet := "220 " + cfg.ServerName
	if cfg.ServerInfo == "on" {
		greet += " " + cfg.Product + " LMTP " + cfg.Version
	}
	s.out(greet + " server ready\r\n")
	s.loop(ctx)
	s.bw.Flush()
}

func (s *session) out(str string) { s.bw.WriteString(str) }

func (s *session) loop(ctx context.Context) {
	var lbuf [4096]byte
	for {
		raw := s.r.fgets(lbuf[:0], 4096)
		if raw == nil {
			if ctx.Err() != nil {
				return
			}
			if err := s.r.err; err != nil && err != io.EOF && !errors.Is(err, net.ErrClosed) {
				if errors.Is(err, errIdle) {
					s.out("421 4.4.1 bye " + err.Error() + "\r\n")
				}
			}
			return
		}
		line := string(cstr(raw))
		line = strings.TrimSuffix(line, "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" || !strings.ContainsRune("LlNnQq", rune(line[0])) {
			if msg, ok := s.shutdownMessage(); ok {
				s.out("421 4.3.2 " + msg + "\r\n")
				return
			}
		}
		if s.cfg.Chatty {
			log.Printf(log.LevelNotice, "command: %s", line)
		}
		if !s.command(ctx, line) {
			return
		}
	}
}

// cstr cuts b at its first NUL, as C string functions see it.
func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// shutdownMessage reads the first line of the shutdown file, if any.
func (s *session) shutdownMessage() (string, bool) {
	if s.cfg.ShutdownFile == "" {
		return "", false
	}
	f, err := os.Open(s.cfg.ShutdownFile)
	if err != nil {
		return "", false
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 4095)).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	return line, true
}

func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
}

// command runs one command line; false ends the session.
func (s *session) command(ctx context.Context, buf string) bool {
	c := byte(0)
	if buf != "" {
		c = buf[0]
	}
	switch c {
	case 'a', 'A':
		if hasPrefixFold(buf, "auth ") {
			return s.cmdAuth(ctx, buf)
		}
	case 'd', 'D':
		if strings.EqualFold(buf, "data") {
			return s.cmdData(ctx)
		}
	case 'l', 'L':
		if hasPrefixFold(buf, "lhlo ") {
			s.cmdLhlo(buf)
			return true
		}
	case 'm', 'M':
		if s.authState == authNone {
			if s.cfg.SoftNoAuth {
				s.out(rAuthRequiredTmp)
			} else {
				s.out(rAuthRequired)
			}
			return true
		}
		if hasPrefixFold(buf, "mail ") {
			s.cmdMail(buf)
			return true
		}
	case 'n', 'N':
		if strings.EqualFold(buf, "noop") {
			s.out(rNoop)
			return true
		}
	case 'q', 'Q':
		if strings.EqualFold(buf, "quit") {
			s.out(rBye)
			return false
		}
	case 'r', 'R':
		if hasPrefixFold(buf, "rcpt ") {
			s.cmdRcpt(buf)
			return true
		}
		if strings.EqualFold(buf, "rset") {
			s.sessionID = newSessionID(s.cfg.SessionIDBase)
			s.out("250 2.0.0 Ok SESSIONID=<" + s.sessionID + ">\r\n")
			s.rset()
			return true
		}
	case 's', 'S':
		if strings.EqualFold(buf, "starttls") && s.cfg.TLS != nil && !s.preauth {
			return s.cmdStartTLS(ctx)
		}
	case 'v', 'V':
		if hasPrefixFold(buf, "vrfy ") {
			s.out(rVrfy)
			return true
		}
	}
	s.out(rSyntax)
	return true
}

// rset forgets the transaction.
func (s *session) rset() {
	s.returnPath, s.authUser, s.size, s.rcpts = nil, nil, 0, nil
}

// cmdLhlo answers LHLO (RFC 2033 4.1) with Cyrus's extension list.
func (s *session) cmdLhlo(buf string) {
	var b strings.Builder
	b.WriteString("250-" + s.cfg.ServerName + "\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n")
	if max := s.maxSize(); max < maxInt {
		fmt.Fprintf(&b, "250-SIZE %d\r\n", max)
	} else {
		b.WriteString("250-SIZE\r\n")
	}
	if s.cfg.TLS != nil && !s.starttlsDone && s.authState == authNone {
		b.WriteString("250-STARTTLS\r\n")
	}
	if s.authState <= 0 {
		if mechs := s.mechanisms(); len(mechs) > 0 {
			b.WriteString("250-AUTH " + strings.Join(mechs, " ") + "\r\n")
		}
	}
	b.WriteString("250-IGNOREQUOTA\r\n")
	b.WriteString("250 Ok SESSIONID=<" + s.sessionID + ">\r\n")
	s.out(b.String())
	s.lhlo = buf[5:]
	if len(s.lhlo) > 249 {
		s.lhlo = s.lhlo[:249]
	}
	s.sessionID = newSessionID(s.cfg.SessionIDBase)
}

const maxInt = 1<<31 - 1

func (s *session) maxSize() int64 {
	if s.cfg.MaxMessageSize <= 0 || s.cfg.MaxMessageSize > maxInt {
		return maxInt
	}
	return s.cfg.MaxMessageSize
}

// saslState is the connection as SASL sees it.
func (s *session) saslState() sasl.ConnState {
	if s.tlsState != nil {
		st := s.tlsState.SASL()
		if s.preauth {
			st.ExternalID = "postman"
		}
		return st
	}
	if s.preauth {
		return sasl.ConnState{ExternalID: "postman"}
	}
	return sasl.ConnState{}
}

// mechanisms are the SASL mechanisms offered: only EXTERNAL (as postman)
// on a pre-authorized connection, as Cyrus's localauth override does.
func (s *session) mechanisms() []string {
	if s.preauth {
		return []string{sasl.MechExternal}
	}
	if s.cfg.SASL == nil {
		return nil
	}
	return s.cfg.SASL.Mechanisms(s.saslState())
}

// cmdMail is MAIL FROM (RFC 5321 4.1.1.2) with AUTH= (RFC 4954 5),
// BODY= (RFC 6152) and SIZE= (RFC 1870), parsed as Cyrus does.
func (s *session) cmdMail(buf string) {
	if s.returnPath != nil {
		s.out(rNested)
		return
	}
	if !hasPrefixFold(buf[5:], "from:") {
		s.out(rParamSyntax)
		return
	}
	path, ok := parseAddr(buf[10:], s.cfg.StrictRFC2821)
	if !ok {
		s.out(rParamSyntax)
		return
	}
	// Like Cyrus, the path stays even if a parameter is refused below.
	s.returnPath = &path
	tmp := buf[10+len(path):]
	for len(tmp) > 0 && tmp[0] == ' ' {
		tmp = tmp[1:]
		switch {
		case hasPrefixFold(tmp, "auth="):
			tmp = tmp[5:]
			id, set, n := parseAuthEq(tmp)
			tmp = tmp[n:]
			if set {
				s.authUser = &id
			} else {
				s.authUser = nil
			}
		case hasPrefixFold(tmp, "body="):
			tmp = tmp[5:]
			switch {
			case hasPrefixFold(tmp, "7bit"):
				tmp = tmp[4:]
			case hasPrefixFold(tmp, "8bitmime"):
				tmp = tmp[8:]
			default:
				s.out(rBodyType)
				return
			}
		case hasPrefixFold(tmp, "size="):
			tmp = tmp[5:]
			if tmp == "" || !isDigit(tmp[0]) {
				s.out(rSizeValue)
				return
			}
			i := 0
			for i < len(tmp) && isDigit(tmp[i]) {
				i++
			}
			v, err := strconv.ParseUint(tmp[:i], 10, 64)
			tmp = tmp[i:]
			// Cyrus keeps the value in an int
			s.size = int64(int32(uint32(v)))
			if err != nil || s.size < 0 || s.size > s.maxSize() {
				s.out(fmt.Sprintf("552 5.2.3 Message SIZE exceeds fixed maximum message size (%d)\r\n", s.maxSize()))
				return
			}
		default:
			s.out(rUnrecParams)
			return
		}
	}
	if tmp != "" {
		s.out(rParamSyntax)
		return
	}
	s.out(rMailOK)
}

// cmdRcpt is RCPT TO (RFC 2033 4.2) with IGNOREQUOTA.
func (s *session) cmdRcpt(buf string) {
	if s.returnPath == nil {
		s.out(rNeedMail)
		return
	}
	if !hasPrefixFold(buf[5:], "to:") {
		s.out(rParamSyntax)
		return
	}
	path, ok := parseAddr(buf[8:], s.cfg.StrictRFC2821)
	if !ok {
		s.out(rParamSyntax)
		return
	}
	ignoreQuota := false
	tmp := buf[8+len(path):]
	for len(tmp) > 0 && tmp[0] == ' ' {
		tmp = tmp[1:]
		// Cyrus compares 12 bytes, the NUL included: IGNOREQUOTA must
		// end the line.
		if len(tmp) > 0 && (tmp[0] == 'i' || tmp[0] == 'I') && strings.EqualFold(tmp, "ignorequota") {
			ignoreQuota = true
			tmp = ""
			continue
		}
		s.out(rUnrecParams)
		return
	}
	if tmp != "" {
		s.out(rParamSyntax)
		return
	}
	addr := path[1:] // without '<'
	if strings.HasPrefix(addr, "@") {
		i := strings.IndexByte(addr, ':')
		if i < 0 {
			s.out(s.reply(&deliver.Error{Code: deliver.CodeProtocolBadParams}))
			return
		}
		addr = addr[i+1:]
	}
	addr = strings.TrimSuffix(addr, ">")
	r, err := s.be.Verify(addr, ignoreQuota, s.size, s.postAuth())
	if err != nil {
		log.Debug("verify_user failed", "address", addr, "error", err)
		s.out(s.reply(err))
		return
	}
	s.rcpts = append(s.rcpts, r)
	s.out(rRcptOK)
}

// postAuth is the MAIL FROM AUTH= identity.
func (s *session) postAuth() deliver.Auth {
	if s.authUser == nil {
		return deliver.Auth{}
	}
	return deliver.Auth{UserID: *s.authUser}
}

// cmdAuth is AUTH (RFC 4954) through lib/sasl.
func (s *session) cmdAuth(ctx context.Context, buf string) bool {
	if s.authState > 0 {
		s.out(rAuthAlready)
		return true
	}
	if len(s.rcpts) != 0 {
		s.out(rAuthNotNow)
		return true
	}
	arg := buf[5:]
	mech, init, hasInit := strings.Cut(arg, " ")
	if len(mech) > 127 {
		mech = mech[:127]
	}
	offered := false
	for _, m := range s.mechanisms() {
		offered = offered || strings.EqualFold(m, mech)
	}
	var x *sasl.Exchange
	var err error
	if offered {
		if s.preauth && strings.EqualFold(mech, sasl.MechExternal) {
			x, err = externalServer().Start(sasl.MechExternal, s.saslState())
		} else if s.cfg.SASL != nil {
			x, err = s.cfg.SASL.Start(strings.ToUpper(mech), s.saslState())
		}
	}
	if !offered || x == nil || err != nil {
		s.out(rAuthNoMech)
		return true
	}
	var resp []byte
	if hasInit {
		if init == "=" {
			resp = []byte{}
		} else if resp, err = base64.StdEncoding.DecodeString(init); err != nil {
			return s.authFailed(mech, err)
		}
	}
	var lbuf [21848]byte
	for {
		chal, done, err := x.Next(ctx, resp)
		if err != nil {
			return s.authFailed(mech, err)
		}
		if done {
			break
		}
		s.out("334 " + base64.StdEncoding.EncodeToString(chal) + "\r\n")
		raw := s.r.fgets(lbuf[:0], len(lbuf))
		if raw == nil {
			e := ""
			if s.r.err != nil && s.r.err != io.EOF {
				e = s.r.err.Error()
			}
			s.out("501 5.5.4 Error reading client response: " + e + "\r\n")
			return true
		}
		line := strings.TrimSuffix(strings.TrimSuffix(string(cstr(raw)), "\n"), "\r")
		if strings.HasPrefix(line, "*") {
			s.out(rAuthCancel)
			return true
		}
		if resp, err = base64.StdEncoding.DecodeString(line); err != nil {
			return s.authFailed(mech, err)
		}
	}
	out, _ := x.Outcome()
	s.authedUser = out.User
	s.authState = authDone
	tlsMark := ""
	if s.starttlsDone {
		tlsMark = "+TLS"
	}
	log.Printf(log.LevelNotice, "login: %s %s %s%s %s", s.ci.ClientHost, out.User, strings.ToUpper(mech), tlsMark, "User logged in")
	if s.ci.SetUser != nil {
		s.ci.SetUser(out.User)
	}
	s.out(rAuthOK)
	return true
}

func (s *session) authFailed(mech string, err error) bool {
	log.Printf(log.LevelErr, "badlogin: %s %s (%s) [%s]", s.ci.ClientHost, mech, "-notset-", err)
	s.out(authFailText)
	return true
}

// externalServer runs EXTERNAL for pre-authorized connections.
func externalServer() *sasl.Server {
	return &sasl.Server{MechList: []string{sasl.MechExternal}}
}

// cmdStartTLS is STARTTLS (RFC 3207).
func (s *session) cmdStartTLS(ctx context.Context) bool {
	s.r.discardBuffered() // Cyrus drops what was pipelined after STARTTLS
	if s.starttlsDone {
		s.out(rTLSAlready)
		return true
	}
	if len(s.rcpts) != 0 {
		s.out(rTLSNotNow)
		return true
	}
	s.out(rTLSBegin)
	if err := s.bw.Flush(); err != nil {
		return false
	}
	s.conn.SetReadDeadline(time.Now().Add(6 * time.Minute))
	tc, st, err := s.cfg.TLS.Handshake(ctx, s.conn)
	if err != nil {
		log.Printf(log.LevelNotice, "[lmtpd] STARTTLS failed: %s", s.ci.ClientHost)
		s.out(rTLSFailed)
		return true
	}
	s.conn = tc
	s.bw.Reset(tc)
	s.r.reset(tc, tc)
	s.tlsState = st
	s.starttlsDone = true
	if st.PeerCN != "" {
		s.authState = authTLSCert
	}
	return true
}

// received builds Cyrus's Received field (lmtpengine.c savemsg).
func (s *session) received(date string) string {
	parts := []string{"from " + s.lhlo + " (" + s.ci.ClientHost + ")"}
	if s.authUser != nil {
		parts = append(parts, " (authenticated user="+*s.authUser+" bits=0)")
	}
	by := " by " + s.cfg.ServerName
	if s.cfg.ServerInfo == "on" {
		by += " (" + s.cfg.Product + " " + s.cfg.Version + ")"
	}
	by += " with LMTP"
	if s.starttlsDone {
		by += "S"
	}
	if s.authState != authNone {
		by += "A"
	}
	if s.tlsState != nil {
		parts = append(parts, by, " ("+s.tlsState.Info()+");")
	} else {
		parts = append(parts, by+";")
	}
	parts = append(parts, " "+date)
	return "Received: " + strings.Join(parts, "\r\n\t") + "\r\n"
}

// rfc5322Date is Cyrus's time_to_rfc5322.
func rfc5322Date(t time.Time) string {
	return t.Format("Mon, 02 Jan 2006 15:04:05 -0700")
}

var msgIDCount atomic.Uint32

// cmdData is DATA (RFC 2033 4.2): the message is spooled once into the
// first recipient's partition, then delivered to all, and each recipient
// gets its own answer.
func (s *session) cmdData(ctx context.Context) bool {
	if len(s.rcpts) == 0 {
		s.out(rNoRcpt)
		return true
	}
	stageDir := s.be.StageDir(s.rcpts)
	s.out(rGoAhead)
	now := time.Now()
	date := rfc5322Date(now)

	sp := &spooler{dir: stageDir}
	if s.spoolW == nil {
		s.spoolW = bufio.NewWriterSize(sp, 65536)
	}
	bw := s.spoolW
	bw.Reset(sp)
	defer bw.Reset(nil) // the spooler is this message's only
	limit := s.maxSize() + 1
	cw := &countWriter{w: bw, limit: limit}

	var headers []deliver.Header
	add := func(name, body, line string) {
		cw.WriteString(line)
		headers = append(headers, deliver.Header{Name: name, Body: body})
	}
	retPath := ""
	if s.returnPath != nil {
		retPath = cleanRetPath(*s.returnPath)
		v := retPath
		if !strings.Contains(v, "@") && v != "" {
			v += "@" + s.cfg.ServerName
		}
		add("Return-Path", "<"+v+">", "Return-Path: <"+v+">\r\n")
	}
	rcv := s.received(date)
	cw.WriteString(rcv)
	headers = append(headers, deliver.Header{Name: "Received", Body: unfold(rcv[len("Received: "):])})
	add("X-Cyrus-Session-Id", s.sessionID, "X-Cyrus-Session-Id: "+s.sessionID+"\r\n")
	for _, h := range s.cfg.AddHeaders {
		add(h.Name, h.Body, h.Name+": "+h.Body+"\r\n")
	}

	hp := &headerParser{r: s.r, w: cw, reject8bit: s.cfg.Reject8bit, munge8bit: s.cfg.Munge8bit, skip: []string{"Return-Path"}}
	var code deliver.Code
	bad := false
	for {
		h, done, c, b := hp.parseHeader()
		if done {
			code, bad = c, b
			break
		}
		headers = append(headers, h)
	}
	msgID := ""
	if v, ok := first(headers, "message-id"); ok && v != "" {
		msgID = v
	} else if ok {
		code, bad = deliver.CodeMessageBadHeader, true
	} else {
		msgID = fmt.Sprintf("<cmu-lmtpd-%d-%d-%d@%s>", os.Getpid(), int32(now.Unix()), msgIDCount.Add(1)-1, s.cfg.ServerName)
		add("Message-ID", msgID, "Message-ID: "+msgID+"\r\n")
	}
	msgDate, ok := first(headers, "date")
	if !ok {
		msgDate = date
		add("Date", date, "Date: "+date+"\r\n")
	}
	c2, b2, complete, fatal := copyBody(s.r, cw)
	if b2 {
		if bad {
			code = code.Or(c2)
		} else {
			code, bad = c2, true
		}
	}
	if !complete && !fatal {
		if bad {
			code = code.Or(deliver.CodeIO)
		} else {
			code, bad = deliver.CodeIO, true
		}
	}
	werr := cw.err
	if werr == nil {
		werr = bw.Flush()
	}
	var sr stagedResult
	var data []byte
	sr.st, data, sr.err = sp.finish(bad || fatal || werr != nil)
	discard := func() {
		if sr.st != nil {
			sr.st.Close()
		}
	}
	if fatal {
		discard()
		s.out("421 4.3.0 lmtpd: Trying to unput wrong character\r\n")
		return false
	}
	if bad {
		discard()
		for range s.rcpts {
			s.out(replyFor(code, s.cfg.Postmaster, s.cfg.QuotaPermFailure, s.sessionID))
		}
		s.rset()
		return true // a broken connection ends at the next read
	}
	if werr == nil && sr.err != nil {
		werr = sr.err
	}
	if werr != nil {
		discard()
		log.Error("IOERROR", "what", "spool message", "dir", stageDir, "error", werr)
		d := '2'
		if errors.Is(werr, syscallENOSPC) || errors.Is(werr, syscallEDQUOT) {
			d = '1'
		}
		for range s.rcpts {
			s.out(fmt.Sprintf("451 4.3.%c cannot copy message to temporary file: %s\r\n", d, errnoText(werr)))
		}
		s.rset()
		return true
	}
	size := cw.n
	if size > s.maxSize() {
		discard()
		s.out(fmt.Sprintf("552 5.2.3 Message size (%d) exceeds fixed maximum message size (%d)\r\n", int32(size), s.maxSize()))
		return true // Cyrus keeps the envelope
	}
	m := &deliver.Message{
		Staged:       sr.st,
		Data:         data,
		Size:         size,
		ID:           msgID,
		Date:         msgDate,
		ReturnPath:   retPath,
		Auth:         s.postAuth(),
		InternalDate: now.Truncate(time.Second),
		Headers:      headers,
	}
	if v, ok := first(headers, "x-deliveredinternaldate"); ok {
		if t, ok := message.ParseDateTime(v); ok {
			m.InternalDate = time.Unix(t, 0)
		}
	}
	errs := s.be.Deliver(context.WithoutCancel(ctx), m, s.rcpts)
	sr.st.Close()
	for _, err := range errs {
		s.out(s.reply(err))
	}
	s.rset()
	return true
}

var errAbandoned = errors.New("message refused")

// first returns the first value of a header field.
func first(hs []deliver.Header, name string) (string, bool) {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Body, true
		}
	}
	return "", false
}

// unfold removes the line breaks of a folded field value.
func unfold(v string) string {
	v = strings.TrimSuffix(v, "\r\n")
	return strings.ReplaceAll(v, "\r\n", "")
}
