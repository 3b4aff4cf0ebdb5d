package main

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"gyrus/lib/log"
	"gyrus/lib/mboxname"
	"gyrus/lib/sasl"
	"gyrus/lib/sievedir"
)

// cmdAuthenticate is RFC 5804 2.1: AUTHENTICATE mechanism [initial
// response]. Challenges go out as literals of base64, responses come
// back as strings; any failure is answered NO "Authentication Error",
// the SASL reason going to the log only, as in Cyrus 3.6.1.
func (s *Session) cmdAuthenticate() string {
	if s.tlsRequired {
		return "AUTHENTICATE only available under a layer"
	}
	a, _, e := s.args(space("SPACE must occur after AUTHENTICATE"), str("Did not specify mechanism name"))
	if e != "" {
		return e
	}
	mech := string(a[0])
	ir, e := s.optionalArg()
	if e != "" {
		return e
	}
	if s.authed {
		s.no("Already authenticated")
		return ""
	}
	if !s.authenticate(mech, ir) {
		return "Authentication Error"
	}
	return ""
}

func (s *Session) badlogin(mech, why string) {
	log.Printf(log.LevelNotice, "badlogin: %s %s %s", s.clientHost(), mech, why)
}

// authenticate runs the exchange; ir is nil without an initial response.
func (s *Session) authenticate(mech string, ir []byte) bool {
	ctx := context.Background()
	var resp []byte
	if ir != nil {
		var ok bool
		if resp, ok = decode64(ir); !ok {
			s.badlogin(mech, "error base64 decoding string")
			return false
		}
	}
	x, err := s.sasl.Start(mech, s.saslState())
	if err != nil {
		s.badlogin(mech, codeText(err))
		return false
	}
	chal, done, err := x.Next(ctx, resp)
	for err == nil && !done {
		// RFC 5804 2.1: the challenge as a string, always a literal here
		enc := base64.StdEncoding.EncodeToString(chal)
		s.out.WriteString("{" + strconv.Itoa(len(enc)) + "}\r\n" + enc + "\r\n")
		t := s.lex.next()
		if t.kind != tokString {
			return false
		}
		r, ok := decode64(t.str)
		if !ok {
			s.badlogin(mech, "error base64 decoding string")
			return false
		}
		if t := s.lex.next(); t.kind != tokEOL {
			s.badlogin(mech, "expected string")
			return false
		}
		chal, done, err = x.Next(ctx, r)
	}
	if err != nil {
		s.badlogin(mech, codeText(err))
		return false
	}
	out, _ := x.Outcome()
	if !s.setUser(out) {
		return false
	}
	if len(chal) > 0 {
		// RFC 5804 2.1: data with success (SCRAM's server-final message)
		s.reply(`OK (SASL "` + base64.StdEncoding.EncodeToString(chal) + `")`)
	} else {
		s.reply("OK")
	}
	tls := ""
	if s.tlsDone {
		tls = "+TLS"
	}
	log.Printf(log.LevelNotice, "login: %s %s %s%s %s", s.clientHost(), s.userid, mech, tls, "User logged in")
	s.authed = true
	return true
}

// setUser opens the logged-in user's script directory (Cyrus
// actions_setuser): the user's own, or, for an admin acting as itself,
// the global one of its domain. Like Cyrus 3.6.1, it needs the user's
// INBOX, an admin's too; "anonymous" only checks scripts.
func (s *Session) setUser(out sasl.Outcome) bool {
	user := out.User
	s.verifyOnly = user == "anonymous"
	s.userid = user
	if s.ss != nil {
		s.ss.SetUser(user)
	}
	if s.verifyOnly {
		return true
	}
	admin := out.AuthID == user && s.srv.authz.IsAdmin(user)
	path, err := s.srv.locator.UserPath(user)
	if err != nil {
		if !errors.Is(err, sievedir.ErrNoInbox) {
			log.Error("DBERROR", "op", "lookup inbox", "user", user, "error", err)
		} else {
			log.Printf(log.LevelErr, "Mailbox does not exist")
		}
		s.unsetUser()
		return false
	}
	if admin {
		dom := ""
		if i := strings.LastIndexByte(user, '@'); i >= 0 && s.srv.ns.VirtDomains != mboxname.VirtDomainsOff {
			dom = user[i+1:]
		}
		path = s.srv.locator.GlobalPath(dom)
	}
	s.isAdmin = admin
	s.dir = sievedir.Open(path)
	if err := s.dir.Create(); err != nil {
		log.Error("IOERROR", "op", "create sieve directory", "dir", path, "error", err)
		s.unsetUser()
		return false
	}
	return true
}

// codeText is libsasl's sasl_errstring of a failure, which Cyrus logs;
// "user not found" is reported as an authentication failure.
func codeText(err error) string {
	var se *sasl.Error
	if !errors.As(err, &se) {
		return sasl.CodeFail.String()
	}
	if se.Code == sasl.CodeNoUser {
		return sasl.CodeBadAuth.String()
	}
	return se.Code.String()
}

// decode64 decodes a SASL response as libsasl's sasl_decode64, which
// refuses what Cyrus refuses: characters outside the alphabet, padding
// anywhere but at the end, a trailing partial group, a leading CR. An
// empty string is an empty response.
func decode64(b []byte) ([]byte, bool) {
	out, st := sasl.Decode64(string(b))
	return out, st == sasl.DecodeOK
}
