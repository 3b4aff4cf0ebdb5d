package main

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"gyrus/lib/log"
	"gyrus/lib/sasl"
	"gyrus/lib/sasl/sasldb"
)

// APOP (RFC 1939 7) needs the password in clear on the server side.
// Cyrus asks libsasl, whose auxprop plugins read the "userPassword" of
// sasldb2. Gyrus's own secrets store (sasl_sasldb_path + ".gyrus") keeps
// only SCRAM verifiers, from which no APOP digest can be computed. So
// Gyrus answers APOP from the clear-text passwords of Cyrus's sasldb2
// (read-only, as for PASS) for users that the Gyrus store does not list;
// a user whose password was set with Gyrus's saslpasswd2 (or deleted
// with it) cannot use APOP, and gets the "authentication failure" that
// Cyrus gives a user without a userPassword.
//
// The greeting carries the challenge whenever allowapop is on and TLS is
// not required, as Cyrus's does (libsasl's sasl_checkapop says yes to
// the question without looking at any user).

// apopStore finds clear-text passwords for APOP.
type apopStore struct {
	auth *sasl.Authenticator
	path string // sasldb2
	ok   bool   // the sasldb auxprop plugin is in use

	mu    sync.Mutex
	db    *sasldb.DB
	stamp [4]int64
}

func newAPOPStore(a *sasl.Authenticator) *apopStore {
	o := a.Options()
	st := &apopStore{auth: a, path: o.SasldbPath, ok: len(o.AuxpropPlugins) == 0}
	if st.path == "" {
		st.path = sasl.DefaultSasldbPath
	}
	for _, p := range o.AuxpropPlugins {
		if strings.EqualFold(p, "sasldb") {
			st.ok = true
		}
	}
	return st
}

// clearPassword returns the clear-text password of the canonical id.
func (st *apopStore) clearPassword(id string) ([]byte, *sasl.Error) {
	user, realm := st.auth.SplitAuxprop(id)
	notFound := &sasl.Error{Code: sasl.CodeNoUser, Detail: fmt.Sprintf("user: %s@%s property: userPassword not found", user, realm)}
	if !st.ok {
		return nil, notFound
	}
	if _, listed, err := st.auth.Store().Lookup(user, realm); err != nil {
		return nil, &sasl.Error{Code: sasl.CodeFail, Detail: "auxprop store", Err: err}
	} else if listed {
		// the Gyrus store decides for this user, and it holds no clear text
		return nil, notFound
	}
	db, err := st.sasldb()
	if err != nil {
		return nil, &sasl.Error{Code: sasl.CodeFail, Detail: "sasldb", Err: err}
	}
	if db == nil {
		return nil, notFound
	}
	pw, ok := db.ClearPassword(user, realm)
	if !ok {
		return nil, notFound
	}
	return pw, nil
}

// sasldb returns the parsed sasldb2, read again when the file changed.
func (st *apopStore) sasldb() (*sasldb.DB, error) {
	fi, err := os.Stat(st.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var stamp [4]int64
	if s, ok := fi.Sys().(*syscall.Stat_t); ok {
		stamp = [4]int64{int64(s.Dev), int64(s.Ino), s.Size, s.Mtim.Nano()}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.db != nil && st.stamp == stamp {
		return st.db, nil
	}
	db, err := sasldb.Open(st.path)
	if err != nil {
		return nil, err
	}
	st.db, st.stamp = db, stamp
	return db, nil
}

// newAPOPChallenge is libsasl's sasl_mkchal with the host name:
// "<random.time@servername>".
func newAPOPChallenge(servername string) string {
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("<%d.%d@%s>", binary.LittleEndian.Uint64(b[:]), time.Now().Unix(), servername)
}

// cmdAPOP is RFC 1939 7 APOP as Cyrus's cmd_apop and libsasl's
// sasl_checkapop answer it: "name digest", the digest 32 lower-case hex
// digits (anything after them is ignored), compared with MD5(challenge
// password) case-insensitively.
func (s *Session) cmdAPOP(arg string) {
	if s.tlsRequired {
		s.reply("-ERR [AUTH] APOP command only available under a layer")
		return
	}
	if s.userid != "" {
		s.reply("-ERR [AUTH] Must give PASS command")
		return
	}
	user, err := s.checkAPOP(arg)
	if err != nil {
		log.Printf(log.LevelNotice, "badlogin: %s APOP (%s) %s", s.clientHost(), s.apopChal, err)
		s.pauseAfterFailure()
		code := err.Code
		if code == sasl.CodeNoUser {
			code = sasl.CodeBadAuth
		}
		s.reply("-ERR [AUTH] authenticating: " + codeText(code))
		s.subfolder, s.hasSub = "", false
		return
	}
	s.userid = user
	log.Printf(log.LevelNotice, "login: %s %s%s APOP%s User logged in SESSIONID=<%s>", s.clientHost(), s.userid, s.subfolder, s.tlsMark(), s.sessionID)
	s.authed = true
	s.openInbox()
}

func (s *Session) checkAPOP(resp string) (string, *sasl.Error) {
	sp := strings.LastIndexByte(resp, ' ')
	if sp < 0 || hexPrefix(resp[sp+1:]) != 32 {
		return "", &sasl.Error{Code: sasl.CodeBadProt, Detail: "Bad Digest"}
	}
	digest := resp[sp+1 : sp+33]
	user, err := s.canon(resp[:sp])
	if err != nil {
		return "", &sasl.Error{Code: sasl.CodeBadAuth, Detail: "bad userid authenticated"}
	}
	pw, serr := s.srv.apop.clearPassword(user)
	if serr != nil {
		return "", serr
	}
	sum := md5.Sum(append([]byte(s.apopChal), pw...))
	if !strings.EqualFold(hex.EncodeToString(sum[:]), digest) {
		return "", &sasl.Error{Code: sasl.CodeBadAuth, Detail: "login incorrect"}
	}
	if err := s.srv.authz.Authorize(context.Background(), user, user); err != nil {
		var se *sasl.Error
		if errors.As(err, &se) {
			return "", se
		}
		return "", &sasl.Error{Code: sasl.CodeNoAuthz, Detail: err.Error()}
	}
	return user, nil
}

// hexPrefix counts the leading lower-case hex digits (C strspn).
func hexPrefix(s string) int {
	n := 0
	for n < len(s) && (('0' <= s[n] && s[n] <= '9') || ('a' <= s[n] && s[n] <= 'f')) {
		n++
	}
	return n
}
