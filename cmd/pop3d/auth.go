package main

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"time"

	"gyrus/lib/authz"
	"gyrus/lib/log"
	"gyrus/lib/mboxname"
	"gyrus/lib/sasl"
)

// maxSASLLine is how much of a SASL response line Cyrus reads at once
// (imap/saslserver.c: a 21848-byte base64 buffer, RFC 4422's 16 KB of
// data encoded).
const maxSASLLine = 21848

// splitSubfolder takes "+sub" out of "user+sub" or "user+sub@domain"
// when popsubfolders is on (Cyrus popd_canon_user). With virtual domains
// the subfolder ends at '@'.
func (s *Server) splitSubfolder(id string) (user, sub string, ok bool) {
	if !s.cfg.Popsubfolders() {
		return id, "", false
	}
	i := strings.IndexByte(id, '+')
	if i < 0 {
		return id, "", false
	}
	rest := id[i:]
	n := len(rest)
	if s.ns.VirtDomains != mboxname.VirtDomainsOff {
		if j := strings.IndexByte(rest, '@'); j >= 0 {
			n = j
		}
	}
	return id[:i] + rest[n:], rest[:n], true
}

// canon is the session's lib/sasl Canon callback (Cyrus popd_canon_user):
// a "+sub" part is remembered as the subfolder to open and taken out of
// the id, which is then canonicalized.
func (s *Session) canon(id string) (string, error) {
	if user, sub, ok := s.srv.splitSubfolder(id); ok {
		s.subfolder, s.hasSub = sub, true
		id = user
	}
	return s.srv.authz.Canon(id)
}

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

// plaintextAllowed: USER/PASS may be used on this connection (TLS, an
// external layer of strength 2+, or allowplaintext).
func (s *Session) plaintextAllowed() bool {
	return s.tlsDone || s.srv.flags.ExtSSF > 1 || s.srv.cfg.Allowplaintext()
}

func (s *Session) tlsMark() string {
	if s.tlsDone {
		return "+TLS"
	}
	return ""
}

// forgetUser drops a half-done login (Cyrus frees popd_userid and
// popd_subfolder).
func (s *Session) forgetUser() {
	s.userid, s.subfolder, s.hasSub = "", "", false
	if s.ss != nil {
		s.ss.SetUser("")
	}
}

// pauseAfterFailure is failedloginpause; the pending answers go out first.
func (s *Session) pauseAfterFailure() {
	if d := s.srv.failedPause; d > 0 {
		s.release()
		time.Sleep(d)
	}
}

// cmdUser is RFC 1939 7 USER as Cyrus's cmd_user answers it: the name is
// canonicalized at once, and a name with the hierarchy separator '.' in
// its local part is refused.
func (s *Session) cmdUser(user string) {
	if s.tlsRequired || !s.plaintextAllowed() {
		s.reply("-ERR [AUTH] USER command only available under a layer")
		return
	}
	if s.userid != "" {
		s.reply("-ERR [AUTH] Must give PASS command")
		return
	}
	canon, err := s.canon(user)
	if err == nil && s.srv.ns.Sep() == '.' {
		if dot := strings.IndexByte(canon, '.'); dot >= 0 {
			at := strings.IndexByte(canon, '@')
			if !(s.srv.ns.VirtDomains != mboxname.VirtDomainsOff && at >= 0 && dot > at) {
				err = authz.ErrInvalidUser
			}
		}
	}
	if err == nil && len(canon)+6 >= maxMailboxBuffer {
		err = authz.ErrInvalidUser
	}
	if err != nil {
		s.reply("-ERR [AUTH] Invalid user")
		log.Printf(log.LevelNotice, "badlogin: %s plaintext (%s) invalid user", s.clientHost(), beautify(user))
		return
	}
	s.userid = canon
	if s.ss != nil {
		s.ss.SetUser(canon)
	}
	s.reply("+OK Name is a valid mailbox")
}

// maxMailboxBuffer is Cyrus's MAX_MAILBOX_BUFFER.
const maxMailboxBuffer = 1024

// cmdPass is RFC 1939 7 PASS (Cyrus cmd_pass).
func (s *Session) cmdPass(pass string) {
	if s.userid == "" {
		s.reply("-ERR [AUTH] Must give USER command")
		return
	}
	host := s.clientHost()
	if s.userid == "anonymous" {
		if !s.srv.cfg.Allowanonymouslogin() {
			// Cyrus keeps the user name: the next USER is refused.
			log.Printf(log.LevelNotice, "badlogin: %s anonymous login refused", host)
			s.reply("-ERR [AUTH] Invalid login")
			return
		}
		pw := beautify(pass)
		if len(pw) > 500 {
			pw = pw[:500]
		}
		log.Printf(log.LevelNotice, "login: %s anonymous %s", host, pw)
	} else {
		out, err := s.sasl.Login(context.Background(), s.saslState(), s.userid, []byte(pass))
		if err != nil {
			log.Printf(log.LevelNotice, "badlogin: %s plaintext (%s) [%s]", host, s.userid, err)
			s.pauseAfterFailure()
			s.reply("-ERR [AUTH] Invalid login")
			s.forgetUser()
			return
		}
		s.userid = out.User
		log.Printf(log.LevelNotice, "login: %s %s%s plaintext%s User logged in SESSIONID=<%s>", host, s.userid, s.subfolder, s.tlsMark(), s.sessionID)
		if !s.tlsDone {
			if d := s.srv.plainPause; d > 0 {
				s.release()
				time.Sleep(d)
			}
		}
	}
	s.authed = true
	s.openInbox()
}

// cmdAuth is RFC 5034 AUTH, with the optional initial response of RFC
// 5034 4 and, without arguments, the mechanism list of the old SASL
// POP3 draft that clients such as Outlook still use.
func (s *Session) cmdAuth(arg string, hasArg bool) {
	if s.tlsRequired {
		s.reply("-ERR [AUTH] AUTH command only available under a layer")
		return
	}
	if !hasArg {
		s.reply("+OK List of supported mechanisms follows")
		for _, m := range s.sasl.Mechanisms(s.saslState()) {
			s.reply(m)
		}
		s.reply(".")
		return
	}
	// The mechanism ends at the first white space character; whatever
	// follows that one character is the initial response.
	mech, ir, hasIR := arg, "", false
	for i := 0; i < len(arg); i++ {
		if isSpace(arg[i]) {
			mech, ir, hasIR = arg[:i], arg[i+1:], true
			break
		}
	}
	x := &exchange{s: s, mech: mech}
	res := x.run(ir, hasIR)
	switch res {
	case saslCancel:
		s.reply("-ERR [AUTH] Client canceled authentication")
	case saslReadError:
		s.reply("-ERR [AUTH] Error reading client response: " + x.readErr)
		s.closing = true
	case saslFail:
		who := "-notset-"
		if x.authcid != "" && x.code != sasl.CodeNoUser {
			who = x.authcid
		}
		log.Printf(log.LevelNotice, "badlogin: %s %s (%s) [%s]", s.clientHost(), mech, who, codeText(x.code))
		s.pauseAfterFailure()
		code := x.code
		if code == sasl.CodeNoUser {
			code = sasl.CodeBadAuth // no probing for users
		}
		s.reply("-ERR [AUTH] authenticating: " + codeText(code))
	}
	if res != saslOK {
		s.subfolder, s.hasSub = "", false
		return
	}
	s.userid = x.user
	log.Printf(log.LevelNotice, "login: %s %s%s %s%s User logged in SESSIONID=<%s>", s.clientHost(), s.userid, s.subfolder, mech, s.tlsMark(), s.sessionID)
	s.authed = true
	if s.openInbox() {
		// the mechanisms Gyrus offers have no security layer: the
		// strength is now 0 (and CAPA drops SASL, as Cyrus does)
		s.ssf = 0
	}
}

type saslResult int

const (
	saslOK saslResult = iota
	saslFail
	saslCancel
	saslReadError
)

// exchange is one AUTH run as Cyrus's saslserver() does it for POP3:
// challenges as "+ <base64>" ("+ " when empty), responses as bare base64
// lines, "*" to cancel, "=" as an empty initial response.
type exchange struct {
	s       *Session
	mech    string
	x       *sasl.Exchange
	code    sasl.Code // the failure
	authcid string    // the user the mechanism named, for the log
	user    string    // on success
	readErr string
}

func (e *exchange) failErr(err error) saslResult {
	var se *sasl.Error
	e.code = sasl.CodeFail
	if errors.As(err, &se) {
		e.code = se.Code
	}
	return saslFail
}

func (e *exchange) run(ir string, hasIR bool) saslResult {
	ctx := context.Background()
	s := e.s
	var resp []byte
	// pending: the initial response ended in an incomplete base64
	// group. libsasl then asks for more without starting the mechanism
	// (an empty challenge), and Cyrus 3.6.1 crashes on the answer;
	// Gyrus fails the exchange there instead.
	pending := false
	if hasIR {
		if ir == "=" {
			resp = []byte{}
		} else {
			var st sasl.DecodeStatus
			resp, st = sasl.Decode64(ir)
			switch st {
			case sasl.DecodeIncomplete:
				pending = true
			case sasl.DecodeBad, sasl.DecodeFail:
				e.code = statusCode(st)
				return saslFail
			}
		}
	}
	var chal []byte
	done := false
	if !pending {
		var err error
		if e.x, err = s.sasl.Start(e.mech, s.saslState()); err != nil {
			if s.needsTLS(e.mech) {
				// libsasl: a mechanism refused for sending passwords in
				// clear is SASL_ENCRYPT, not SASL_NOMECH
				e.code = sasl.CodeEncrypt
				return saslFail
			}
			return e.failErr(err)
		}
		if hasIR {
			e.noteUser(resp)
		} else {
			resp = nil
		}
		if chal, done, err = e.x.Next(ctx, resp); err != nil {
			return e.failErr(err)
		}
	}
	for !done || len(chal) > 0 {
		// A challenge, or the data that comes with a success (SCRAM's
		// server-final message): POP3 has no success data, so libsasl
		// sends it as one more challenge and waits for an answer.
		s.reply("+ " + base64.StdEncoding.EncodeToString(chal))
		line, err := s.readSASLLine()
		if err != nil {
			e.readErr = err.Error()
			return saslReadError
		}
		if len(line) > 0 && line[0] == '*' {
			return saslCancel
		}
		r, st := sasl.Decode64(string(line))
		if st != sasl.DecodeOK {
			e.code = statusCode(st)
			return saslFail
		}
		if pending {
			e.code = sasl.CodeBadProt
			return saslFail
		}
		if done {
			break
		}
		e.noteUser(r)
		if chal, done, err = e.x.Next(ctx, r); err != nil {
			return e.failErr(err)
		}
	}
	out, _ := e.x.Outcome()
	e.user = out.User
	return saslOK
}

// noteUser remembers the user a PLAIN or LOGIN exchange names, for the
// badlogin line (Cyrus logs libsasl's SASL_USERNAME, which the
// mechanism sets once it has the canonical name).
func (e *exchange) noteUser(resp []byte) {
	if e.authcid != "" || len(resp) == 0 {
		return
	}
	var id string
	switch strings.ToUpper(e.mech) {
	case sasl.MechPlain:
		_, authcid, _, err := sasl.ParsePlain(resp)
		if err != nil {
			return
		}
		id = authcid
	case sasl.MechLogin:
		id = string(resp)
	default:
		return
	}
	srv := e.s.srv
	if user, _, ok := srv.splitSubfolder(id); ok {
		id = user
	}
	if c, err := srv.authz.Canon(id); err == nil {
		e.authcid = c
	}
}

// readSASLLine reads one response line of an AUTH exchange (at most
// maxSASLLine bytes), without its CRLF.
func (s *Session) readSASLLine() ([]byte, error) {
	if err := s.release(); err != nil {
		return nil, err
	}
	s.raw.SetReadDeadline(time.Now().Add(s.srv.timeout))
	defer s.raw.SetReadDeadline(time.Time{})
	s.line = s.line[:0]
	for len(s.line) < maxSASLLine {
		c, err := s.in.ReadByte()
		if err != nil {
			if len(s.line) > 0 {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, errors.New("idle for too long")
			}
			return nil, errors.New("")
		}
		s.line = append(s.line, c)
		if c == '\n' {
			break
		}
	}
	return trimLine(s.line), nil
}

// beautify is Cyrus's beautify_string: control characters as ^X.
func beautify(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20:
			b.WriteByte('^')
			b.WriteByte(c + '@')
		case c == 0x7f:
			b.WriteString("^?")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// needsTLS: the mechanism is configured but offered only under TLS (a
// plaintext one without allowplaintext).
func (s *Session) needsTLS(mech string) bool {
	st := s.saslState()
	if st.TLS {
		return false
	}
	st.TLS = true
	for _, m := range s.sasl.Mechanisms(st) {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}
