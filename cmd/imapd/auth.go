package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/proc"
	"gyrus/lib/sasl"
)

// canonUser is lib/sasl's Canon callback: authz.Canon (Cyrus's
// canonify_userid) after libsasl's own canonicalization, which trims the
// white space around the name (pop3d and timsieved have their own
// callbacks, which do not).
func (s *Server) canonUser(id string) (string, error) {
	return s.authz.Canon(strings.TrimFunc(id, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == '\v' || r == '\f' }))
}

// plaintextAllowed: LOGIN and password mechanisms are allowed on this
// connection (TLS, an external layer of strength 2+, or allowplaintext).
func (s *Session) plaintextAllowed() bool {
	return s.tlsDone || s.srv.flags.ExtSSF >= 2 || s.srv.cfg.Allowplaintext()
}

// cmdLogin is RFC 9051 6.2.3 LOGIN as Cyrus's cmd_login answers it.
func (s *Session) cmdLogin(tag string, a *imapwire.Login) {
	if s.authed() {
		s.bad(tag, imapwire.TextAlreadyLoggedIn)
		return
	}
	host := s.clientHost()
	canon, err := s.srv.canonUser(a.Username)
	if err != nil {
		log.Printf(log.LevelNotice, "badlogin: %s plaintext (%s) invalid user", host, beautify(a.Username))
		s.noText(tag, "Invalid user")
		return
	}
	if s.tlsRequired() || (!s.plaintextAllowed() && canon != "anonymous") {
		s.noText(tag, "Login only available under a layer")
		return
	}
	reply := "User logged in SESSIONID=<" + s.sessionID + ">"
	tlsMark := ""
	if s.tlsDone {
		tlsMark = "+TLS"
	}
	switch {
	case canon == "anonymous":
		if !s.srv.cfg.Allowanonymouslogin() {
			log.Printf(log.LevelNotice, "badlogin: %s anonymous login refused", host)
			s.noText(tag, "Anonymous login is not permitted")
			return
		}
		pw := beautify(a.Password)
		if len(pw) > 500 {
			pw = pw[:500]
		}
		log.Printf(log.LevelNotice, "login: %s anonymous %s", host, pw)
		reply = "Anonymous access granted"
		canon = "anonymous"
	case s.srv.flags.NoPassword:
		if err := s.srv.authz.Authorize(context.Background(), canon, canon); err != nil {
			s.loginFailed(tag, "plaintext", canon, err)
			return
		}
		log.Printf(log.LevelNotice, "login: %s %s nopassword%s %s", host, canon, tlsMark, reply)
	default:
		out, err := s.srv.sasl.Login(context.Background(), s.saslState(), canon, []byte(a.Password))
		if err != nil {
			s.loginFailed(tag, "plaintext", canon, err)
			return
		}
		canon = out.User
		log.Printf(log.LevelNotice, "login: %s %s plaintext%s %s", host, canon, tlsMark, reply)
		if !s.tlsDone {
			if d := s.srv.plainPause; d > 0 {
				time.Sleep(d)
			}
			s.plainAlert = s.srv.cfg.Plaintextloginalert()
		}
	}
	if !s.checkLimits(tag, canon) {
		return
	}
	s.loggedIn(canon, canon)
	s.okCode(tag, capabilityCode(s), reply)
	s.afterLogin()
}

// loginFailed logs "badlogin", waits failedloginpause and answers as
// Cyrus does ("Login failed: <sasl error>"; an unknown user is reported
// as an authentication failure so that users cannot be probed).
func (s *Session) loginFailed(tag, mech, user string, err error) {
	var se *sasl.Error
	code := sasl.CodeFail
	detail := err.Error()
	if errors.As(err, &se) {
		code = se.Code
		detail = se.Error()
	}
	log.Printf(log.LevelNotice, "badlogin: %s %s (%s) [%s]", s.clientHost(), mech, user, detail)
	s.pauseAfterFailure()
	if code == sasl.CodeNoUser {
		code = sasl.CodeBadAuth
	}
	s.noText(tag, "Login failed: "+code.String())
}

func (s *Session) pauseAfterFailure() {
	if d := s.srv.failedPause; d > 0 {
		s.release() // nothing pending is held back by the pause
		time.Sleep(d)
	}
}

// cmdAuthenticate is RFC 9051 6.2.2 AUTHENTICATE with RFC 4959 SASL-IR.
func (s *Session) cmdAuthenticate(tag string, a *imapwire.Authenticate) {
	if s.authed() {
		s.bad(tag, imapwire.TextAlreadyAuth)
		return
	}
	if s.tlsRequired() {
		s.noText(tag, "Authenticate only available under a layer")
		return
	}
	ctx := context.Background()
	mech := a.Mechanism
	fail := func(user string, err error) {
		var se *sasl.Error
		code := sasl.CodeFail
		detail := err.Error()
		if errors.As(err, &se) {
			code = se.Code
			detail = se.Error()
		}
		if user == "" {
			user = "-notset-"
		}
		log.Printf(log.LevelNotice, "badlogin: %s %s (%s) [%s]", s.clientHost(), mech, user, detail)
		s.pauseAfterFailure()
		if code == sasl.CodeNoUser {
			code = sasl.CodeBadAuth
		}
		s.noText(tag, code.String())
	}
	x, err := s.srv.sasl.Start(mech, s.saslState())
	if err != nil {
		fail("", err)
		return
	}
	var resp []byte
	if a.HasInitialResponse {
		resp, err = imapwire.DecodeSASL(a.InitialResponse)
		if err != nil {
			fail("", &sasl.Error{Code: sasl.CodeBadProt, Detail: "bad base64 in initial response"})
			return
		}
	}
	for {
		chal, done, err := x.Next(ctx, resp)
		if err != nil {
			fail("", err)
			return
		}
		if done && len(chal) == 0 {
			break
		}
		// A challenge, or the additional data of a success (SCRAM's
		// server-final message), is sent as a continuation; after a
		// success the client answers with an empty line.
		if err := s.wr().Continue(base64.StdEncoding.EncodeToString(chal)); err != nil {
			return
		}
		s.raw.SetReadDeadline(time.Now().Add(s.srv.timeout))
		r, err := s.p.ReadSASLResponse()
		s.raw.SetReadDeadline(time.Time{})
		if err != nil {
			var ie *imapwire.Error
			switch {
			case errors.As(err, &ie):
				ie.Tag = tag
				s.wr().WriteError(ie)
				return
			case errors.Is(err, imapwire.ErrBadBase64):
				fail("", &sasl.Error{Code: sasl.CodeBadProt, Detail: "bad base64 in response"})
				return
			default:
				s.noText(tag, "Error reading client response: "+err.Error())
				s.closing = true
				return
			}
		}
		if done {
			break
		}
		resp = r
	}
	out, _ := x.Outcome()
	user := out.User
	tlsMark := ""
	if s.tlsDone {
		tlsMark = "+TLS"
	}
	log.Printf(log.LevelNotice, "login: %s %s %s%s User logged in SESSIONID=<%s>", s.clientHost(), user, mech, tlsMark, s.sessionID)
	if !s.checkLimits(tag, user) {
		return
	}
	ssfmsg := "no protection"
	if s.tlsDone {
		ssfmsg = "tls protection"
	}
	s.saslLogin = true
	s.loggedIn(user, out.AuthID)
	s.okCode(tag, capabilityCode(s), "Success ("+ssfmsg+") SESSIONID=<"+s.sessionID+">")
	s.afterLogin()
}

// checkLimits applies maxlogins_per_host and maxlogins_per_user (Cyrus
// checklimits, counted from the proc files).
func (s *Session) checkLimits(tag, user string) bool {
	maxHost, maxUser := s.srv.cfg.MaxloginsPerHost(), s.srv.cfg.MaxloginsPerUser()
	if maxHost <= 0 && maxUser <= 0 {
		return true
	}
	host := s.clientHost()
	byHost, byUser, err := proc.Count(s.srv.env.ProcDir, host, user)
	if err != nil {
		return true
	}
	var parts []string
	if maxHost > 0 && byHost >= maxHost {
		parts = append(parts, fmt.Sprintf("%d of %d from %s", byHost, maxHost, host))
	}
	if maxUser > 0 && byUser >= maxUser {
		parts = append(parts, fmt.Sprintf("%d of %d for %s", byUser, maxUser, user))
	}
	if len(parts) == 0 {
		return true
	}
	msg := "Too many open connections (" + strings.Join(parts, ", ") + ")"
	log.Printf(log.LevelErr, "%s", msg)
	s.noText(tag, msg)
	return false
}

// loggedIn records the new identity (Cyrus authentication_success).
func (s *Session) loggedIn(user, authID string) {
	s.userid = user
	s.authID = authID
	s.isAdmin = s.srv.authz.IsAdmin(user)
	if authID != user && authID != "" {
		// a proxied login: the admin status is the target's own
		s.isProxyAdmin = s.isAdmin
	}
	if s.ss != nil {
		s.ss.SetUser(user)
	}
}

// afterLogin runs once the OK is written: autocreate the INBOX.
func (s *Session) afterLogin() {
	s.release()
	if !s.isAdmin && !s.isProxyAdmin {
		s.srv.autocreateInbox(s.userid)
	}
}

// capabilityCode is "[CAPABILITY ...]" for the login answers.
func capabilityCode(s *Session) imapwire.Code {
	return imapwire.CodeCapability(s.capabilityWords(capBoth))
}

// cmdUnauthenticate is RFC 8437 UNAUTHENTICATE (admins only in Cyrus).
func (s *Session) cmdUnauthenticate(tag string) {
	if s.sel != nil {
		s.closeSelected(s.srv.cfg.Autoexpunge())
	}
	s.userid, s.authID, s.saslLogin = "", "", false
	s.isAdmin, s.isProxyAdmin = false, false
	s.plainAlert = ""
	s.didID = false
	s.condstore, s.qresync = false, false
	s.resetEnabled()
	s.uidonly = false // uidonly.go
	s.searchRes = nil
	if s.ss != nil {
		s.ss.SetUser("")
	}
	s.okCode(tag, imapwire.CodeCapability(s.capabilityWords(capPre)), "Completed")
	s.release()
	if s.compressed {
		s.stopCompress()
	}
}

// clientHost is "name [ip]" as Cyrus logs it.
func (s *Session) clientHost() string {
	if s.ss != nil && s.ss.ClientHost != "" {
		return s.ss.ClientHost
	}
	return "[local]"
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
