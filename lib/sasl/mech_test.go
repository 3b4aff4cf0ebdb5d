package sasl

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gyrus/lib/sasl/store"
)

// step is one line of a transcript: what the client sends (nil = no
// initial response) and what the server must answer.
type tstep struct {
	send      []byte
	challenge string
	done      bool
	code      Code // expected failure code; 0 = success
}

func run(t *testing.T, s *Server, mech string, st ConnState, steps []tstep) *Exchange {
	t.Helper()
	x, err := s.Start(mech, st)
	if err != nil {
		t.Fatalf("start %s: %v", mech, err)
	}
	for i, p := range steps {
		ch, done, err := x.Next(context.Background(), p.send)
		if p.code != 0 {
			if codeOf(err) != p.code || !done {
				t.Fatalf("%s step %d: err %v, want code %d", mech, i, err, p.code)
			}
			return x
		}
		if err != nil || string(ch) != p.challenge || done != p.done {
			t.Fatalf("%s step %d: challenge %q done %v err %v; want %q %v", mech, i, ch, done, err, p.challenge, p.done)
		}
	}
	return x
}

func testServer(t *testing.T) *Server {
	t.Helper()
	dir := t.TempDir()
	a, err := New(Options{SasldbPath: copySasldb(t, dir), ServerName: "example.org", ScramIterations: store.MinIterations})
	if err != nil {
		t.Fatal(err)
	}
	return &Server{
		Backend:        a,
		AllowPlaintext: true,
		Canon:          func(id string) (string, error) { return strings.ToLower(id), nil },
		Authorize: func(_ context.Context, authcid, authzid string) error {
			if authcid == authzid || authcid == "admin" {
				return nil
			}
			return errors.New("not an admin")
		},
	}
}

func TestPlain(t *testing.T) {
	s := testServer(t)
	a := s.Backend.(*Authenticator)
	a.Store().SetPassword("admin", "example.org", []byte("adminpw"))
	x := run(t, s, "plain", ConnState{}, []tstep{{send: []byte("\x00Alice\x00secret1"), done: true}})
	if o, ok := x.Outcome(); !ok || o.AuthID != "alice" || o.User != "alice" || !o.Plaintext || o.Method != "auxprop" || o.Mech != "PLAIN" {
		t.Errorf("outcome %+v %v", o, ok)
	}
	// No initial response: an empty challenge first.
	run(t, s, "PLAIN", ConnState{}, []tstep{{send: nil, challenge: ""}, {send: []byte("alice\x00alice\x00secret1"), done: true}})
	// Proxy authorization: admins may, others may not.
	x = run(t, s, "PLAIN", ConnState{}, []tstep{{send: []byte("bob\x00admin\x00adminpw"), done: true}})
	if o, _ := x.Outcome(); o.AuthID != "admin" || o.User != "bob" {
		t.Errorf("proxy outcome %+v", o)
	}
	run(t, s, "PLAIN", ConnState{}, []tstep{{send: []byte("bob\x00alice\x00secret1"), code: CodeBadAuth}})
	run(t, s, "PLAIN", ConnState{}, []tstep{{send: []byte("\x00alice\x00wrong"), code: CodeBadAuth}})
	run(t, s, "PLAIN", ConnState{}, []tstep{{send: []byte("\x00alice"), code: CodeBadProt}})
	run(t, s, "PLAIN", ConnState{}, []tstep{{send: []byte("\x00alice\x00pw\x00"), code: CodeBadProt}})
	run(t, s, "PLAIN", ConnState{}, []tstep{{send: []byte{}, code: CodeBadProt}})
	// Without a proxy policy, proxying is refused.
	s.Authorize = nil
	run(t, s, "PLAIN", ConnState{}, []tstep{{send: []byte("bob\x00admin\x00adminpw"), code: CodeBadAuth}})
	run(t, s, "PLAIN", ConnState{}, []tstep{{send: []byte("admin\x00admin\x00adminpw"), done: true}})
	// After the end, the exchange refuses more input.
	x = run(t, s, "PLAIN", ConnState{}, []tstep{{send: []byte("\x00alice\x00secret1"), done: true}})
	if _, _, err := x.Next(context.Background(), []byte("x")); err == nil {
		t.Errorf("step after success accepted")
	}
}

func TestLogin(t *testing.T) {
	s := testServer(t)
	// The prompts, base64 as Cyrus 3.6.1 sends them: VXNlcm5hbWU6 UGFzc3dvcmQ6.
	if base64.StdEncoding.EncodeToString([]byte(loginUserPrompt)) != "VXNlcm5hbWU6" ||
		base64.StdEncoding.EncodeToString([]byte(loginPassPrompt)) != "UGFzc3dvcmQ6" {
		t.Fatal("prompts differ from Cyrus")
	}
	x := run(t, s, "LOGIN", ConnState{}, []tstep{
		{send: nil, challenge: "Username:"},
		{send: []byte("alice"), challenge: "Password:"},
		{send: []byte("secret1"), done: true},
	})
	if o, ok := x.Outcome(); !ok || o.User != "alice" || !o.Plaintext {
		t.Errorf("outcome %+v", o)
	}
	// SASL-IR: the initial response is the user name.
	run(t, s, "LOGIN", ConnState{}, []tstep{{send: []byte("alice"), challenge: "Password:"}, {send: []byte("bad"), code: CodeBadAuth}})
	run(t, s, "LOGIN", ConnState{}, []tstep{{send: []byte{}, challenge: "Username:"}, {send: []byte(strings.Repeat("u", 1025)), code: CodeBadProt}})
}

func TestMechanismList(t *testing.T) {
	s := testServer(t)
	cb := &ChannelBinding{Type: "tls-exporter", Data: []byte("cbdata")}
	all := "EXTERNAL SCRAM-SHA-256-PLUS SCRAM-SHA-256 SCRAM-SHA-1-PLUS SCRAM-SHA-1 PLAIN LOGIN"
	if got := strings.Join(s.Mechanisms(ConnState{TLS: true, ChannelBinding: cb, ExternalID: "x"}), " "); got != all {
		t.Errorf("all: %s", got)
	}
	s.AllowPlaintext = false
	if got := strings.Join(s.Mechanisms(ConnState{}), " "); got != "SCRAM-SHA-256 SCRAM-SHA-1" {
		t.Errorf("no TLS, no allowplaintext: %s", got)
	}
	if _, err := s.Start("PLAIN", ConnState{}); codeOf(err) != CodeNoMech {
		t.Errorf("hidden PLAIN started: %v", err)
	}
	if got := strings.Join(s.Mechanisms(ConnState{TLS: true}), " "); got != "SCRAM-SHA-256 SCRAM-SHA-1 PLAIN LOGIN" {
		t.Errorf("TLS: %s", got)
	}
	// sasl_mech_list: its order, any case, unknown names ignored (as Cyrus).
	s.MechList = []string{"login", "CRAM-MD5", "plain", "scram-sha-1"}
	if got := strings.Join(s.Mechanisms(ConnState{TLS: true}), " "); got != "LOGIN PLAIN SCRAM-SHA-1" {
		t.Errorf("mech_list: %s", got)
	}
	if _, err := s.Start("SCRAM-SHA-256", ConnState{TLS: true}); codeOf(err) != CodeNoMech {
		t.Errorf("unlisted mechanism started: %v", err)
	}
	// saslauthd cannot do SCRAM.
	b, _ := New(Options{PwcheckMethods: []string{"saslauthd"}})
	s2 := &Server{Backend: b}
	if got := strings.Join(s2.Mechanisms(ConnState{TLS: true}), " "); got != "PLAIN LOGIN" {
		t.Errorf("saslauthd: %s", got)
	}
}

func TestExternal(t *testing.T) {
	s := testServer(t)
	st := ConnState{TLS: true, ExternalID: "Alice"}
	x := run(t, s, "EXTERNAL", st, []tstep{{send: []byte{}, done: true}})
	if o, _ := x.Outcome(); o.AuthID != "alice" || o.User != "alice" || o.Plaintext {
		t.Errorf("outcome %+v", o)
	}
	run(t, s, "EXTERNAL", st, []tstep{{send: nil, challenge: ""}, {send: []byte("bob"), code: CodeBadAuth}})
	if _, err := s.Start("EXTERNAL", ConnState{TLS: true}); err == nil {
		t.Errorf("EXTERNAL without identity")
	}
}

// vectorBackend serves one fixed SCRAM secret (the RFC examples).
type vectorBackend struct{ sec store.Secret }

func (v vectorBackend) CheckPassword(context.Context, string, []byte) (string, error) {
	return "", errf(CodeBadAuth, "")
}
func (v vectorBackend) SupportsScram() bool { return true }
func (v vectorBackend) ScramSecret(id, scheme string) (store.Secret, bool, error) {
	if id != "user" || scheme != v.sec.Scheme {
		return store.Secret{}, false, errf(CodeNoUser, "")
	}
	return v.sec, true, nil
}

func TestScramRFCVectors(t *testing.T) {
	for _, c := range []struct {
		mech, scheme, salt, snonce string
		transcript                 []string // C S C S
	}{
		{"SCRAM-SHA-1", store.SchemeSHA1, "QSXCR+Q6sek8bf92", "3rfcNHYJY1ZVvWVs7j", []string{ // RFC 5802 section 5
			"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
			"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
			"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
			"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		}},
		{"SCRAM-SHA-256", store.SchemeSHA256, "W22ZaJ0SNY7soEsUEjb6gQ==", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", []string{ // RFC 7677 section 3
			"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
			"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
			"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		}},
	} {
		salt, _ := base64.StdEncoding.DecodeString(c.salt)
		sec, err := store.DeriveSecret(c.scheme, []byte("pencil"), salt, 4096)
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{Backend: vectorBackend{sec}, nonce: func() string { return c.snonce }}
		tr := c.transcript
		x := run(t, s, c.mech, ConnState{}, []tstep{
			{send: []byte(tr[0]), challenge: tr[1]},
			{send: []byte(tr[2]), challenge: tr[3], done: true},
		})
		if o, ok := x.Outcome(); !ok || o.User != "user" || o.Plaintext {
			t.Errorf("%s outcome %+v", c.mech, o)
		}
		// Any change to the proof fails.
		bad := strings.Replace(tr[2], "p=", "p=A", 1)[:len(tr[2])]
		run(t, s, c.mech, ConnState{}, []tstep{{send: []byte(tr[0]), challenge: tr[1]}, {send: []byte(bad), code: CodeBadAuth}})
		// A wrong nonce fails.
		run(t, s, c.mech, ConnState{}, []tstep{{send: []byte(tr[0]), challenge: tr[1]},
			{send: []byte(strings.Replace(tr[2], "r=", "r=x", 1)), code: CodeBadProt}})
	}
}

// scramClient computes a client's side of SCRAM for tests.
func scramClient(t *testing.T, x *Exchange, scheme, gs2, user, password string, cbdata []byte) (string, error) {
	t.Helper()
	ctx := context.Background()
	cnonce := "clientnonce123"
	bare := "n=" + user + ",r=" + cnonce
	sf, _, err := x.Next(ctx, []byte(gs2+bare))
	if err != nil {
		return "", err
	}
	var nonce, salt64 string
	var iter int
	for _, f := range strings.Split(string(sf), ",") {
		switch f[:2] {
		case "r=":
			nonce = f[2:]
		case "s=":
			salt64 = f[2:]
		case "i=":
			iter, _ = strconv.Atoi(f[2:])
		}
	}
	salt, _ := base64.StdEncoding.DecodeString(salt64)
	h := store.HashFor(scheme)
	sp := store.SaltedPassword(h, []byte(password), salt, iter)
	cbind := base64.StdEncoding.EncodeToString(append([]byte(gs2), cbdata...))
	without := "c=" + cbind + ",r=" + nonce
	am := bare + "," + string(sf) + "," + without
	m := hmac.New(h, sp)
	m.Write([]byte("Client Key"))
	ck := m.Sum(nil)
	d := h()
	d.Write(ck)
	m = hmac.New(h, d.Sum(nil))
	m.Write([]byte(am))
	sig := m.Sum(nil)
	for i := range ck {
		ck[i] ^= sig[i]
	}
	final, done, err := x.Next(ctx, []byte(without+",p="+base64.StdEncoding.EncodeToString(ck)))
	if err != nil {
		return "", err
	}
	_, sk := store.Keys(h, sp)
	m = hmac.New(h, sk)
	m.Write([]byte(am))
	if !done || string(final) != "v="+base64.StdEncoding.EncodeToString(m.Sum(nil)) {
		t.Fatalf("server signature %q wrong", final)
	}
	o, _ := x.Outcome()
	return o.User, nil
}

func TestScramWithStores(t *testing.T) {
	s := testServer(t)
	a := s.Backend.(*Authenticator)
	if err := a.Store().SetPassword("zed", "example.org", []byte("zedpw")); err != nil {
		t.Fatal(err)
	}
	for _, mech := range []string{"SCRAM-SHA-1", "SCRAM-SHA-256"} {
		scheme := strings.TrimSuffix(mech, "-PLUS")
		// From the hashed store.
		x, _ := s.Start(mech, ConnState{})
		if u, err := scramClient(t, x, scheme, "n,,", "zed", "zedpw", nil); err != nil || u != "zed" {
			t.Errorf("%s store user: %q %v", mech, u, err)
		}
		// From the clear password of the old sasldb2.
		x, _ = s.Start(mech, ConnState{})
		if u, err := scramClient(t, x, scheme, "n,,", "alice", "secret1", nil); err != nil || u != "alice" {
			t.Errorf("%s sasldb user: %q %v", mech, u, err)
		}
		x, _ = s.Start(mech, ConnState{})
		if _, err := scramClient(t, x, scheme, "n,,", "alice", "wrong", nil); codeOf(err) != CodeBadAuth {
			t.Errorf("%s wrong password: %v", mech, err)
		}
		// Unknown user: fails at the proof, like a wrong password.
		x, _ = s.Start(mech, ConnState{})
		if _, err := scramClient(t, x, scheme, "n,,", "ghost", "x", nil); codeOf(err) != CodeBadAuth {
			t.Errorf("%s unknown user: %v", mech, err)
		}
		// Authzid: alice may not act as zed; admin policy decides.
		x, _ = s.Start(mech, ConnState{})
		if _, err := scramClient(t, x, scheme, "n,a=zed,", "alice", "secret1", nil); codeOf(err) != CodeBadAuth {
			t.Errorf("%s proxy: %v", mech, err)
		}
	}
}

func TestScramPlus(t *testing.T) {
	s := testServer(t)
	cb := &ChannelBinding{Type: "tls-exporter", Data: []byte("0123456789abcdef0123456789abcdef")}
	st := ConnState{TLS: true, ChannelBinding: cb}
	x, _ := s.Start("SCRAM-SHA-256-PLUS", st)
	if u, err := scramClient(t, x, store.SchemeSHA256, "p=tls-exporter,,", "alice", "secret1", cb.Data); err != nil || u != "alice" {
		t.Fatalf("PLUS: %q %v", u, err)
	}
	x, _ = s.Start("SCRAM-SHA-256-PLUS", st)
	if _, err := scramClient(t, x, store.SchemeSHA256, "p=tls-exporter,,", "alice", "secret1", []byte("other channel")); codeOf(err) != CodeBadBinding {
		t.Errorf("wrong binding data: %v", err)
	}
	x, _ = s.Start("SCRAM-SHA-256-PLUS", st)
	if _, err := scramClient(t, x, store.SchemeSHA256, "p=tls-unique,,", "alice", "secret1", cb.Data); codeOf(err) != CodeBadBinding {
		t.Errorf("wrong binding type: %v", err)
	}
	x, _ = s.Start("SCRAM-SHA-256-PLUS", st)
	if _, err := scramClient(t, x, store.SchemeSHA256, "n,,", "alice", "secret1", nil); codeOf(err) != CodeBadBinding {
		t.Errorf("PLUS without binding: %v", err)
	}
	// 'y' while we offer -PLUS: a downgrade.
	x, _ = s.Start("SCRAM-SHA-256", st)
	if _, err := scramClient(t, x, store.SchemeSHA256, "y,,", "alice", "secret1", nil); codeOf(err) != CodeBadBinding {
		t.Errorf("downgrade: %v", err)
	}
	// 'y' when we offer no -PLUS is fine.
	x, _ = s.Start("SCRAM-SHA-256", ConnState{TLS: true})
	if _, err := scramClient(t, x, store.SchemeSHA256, "y,,", "alice", "secret1", nil); err != nil {
		t.Errorf("y without PLUS: %v", err)
	}
	x, _ = s.Start("SCRAM-SHA-256", st)
	if _, err := scramClient(t, x, store.SchemeSHA256, "p=tls-exporter,,", "alice", "secret1", cb.Data); codeOf(err) != CodeBadBinding {
		t.Errorf("p with non-PLUS: %v", err)
	}
}

func TestParseClientFirst(t *testing.T) {
	cf, err := ParseClientFirst("n,a=ad=3Dmin=2Cx,n=us=2Cer,r=abc,x=ext")
	if err != nil || cf.Authzid != "ad=min,x" || cf.Username != "us,er" || cf.Nonce != "abc" || cf.GS2 != "n,a=ad=3Dmin=2Cx," || cf.Bare != "n=us=2Cer,r=abc,x=ext" {
		t.Errorf("%+v %v", cf, err)
	}
	for _, bad := range []string{"", "n", "n,", "x,,n=u,r=a", "n,,m=x,n=u,r=a", "n,,n=u", "n,,n=,r=a", "n,,n=u=41,r=a", "n,,n=u,r=", "n,b=x,n=u,r=a", "p=,,n=u,r=a", "n,,n=u,r=a,bad"} {
		if _, err := ParseClientFirst(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParsePlain(f *testing.F) {
	f.Add([]byte("authz\x00authc\x00pw"))
	f.Fuzz(func(t *testing.T, b []byte) {
		z, c, p, err := ParsePlain(b)
		if err == nil && z+"\x00"+c+"\x00"+string(p) != string(b) {
			t.Fatalf("fields do not rebuild the message")
		}
	})
}

func FuzzParseScram(f *testing.F) {
	f.Add("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL")
	f.Add("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")
	f.Fuzz(func(t *testing.T, msg string) {
		if cf, err := ParseClientFirst(msg); err == nil && cf.GS2+cf.Bare != msg {
			t.Fatalf("client-first split loses bytes")
		}
		if cf, err := ParseClientFinal(msg); err == nil && !strings.HasPrefix(msg, cf.WithoutProof+",p=") {
			t.Fatalf("client-final split wrong")
		}
	})
}

// FuzzExchange feeds arbitrary client messages to every mechanism: no
// panic, and no success without the right password.
func FuzzExchange(f *testing.F) {
	f.Add("PLAIN", []byte("\x00alice\x00secret1"), []byte(nil))
	f.Add("LOGIN", []byte("alice"), []byte("secret1"))
	f.Add("SCRAM-SHA-256", []byte("n,,n=alice,r=abc"), []byte("c=biws,r=abc,p=AAAA"))
	f.Add("EXTERNAL", []byte(""), []byte(nil))
	a, err := New(Options{PwcheckMethods: []string{"auxprop"}, SasldbPath: filepath.Join(f.TempDir(), "none"), ServerName: "r"})
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{Backend: a, AllowPlaintext: true}
	f.Fuzz(func(t *testing.T, mech string, m1, m2 []byte) {
		x, err := s.Start(mech, ConnState{TLS: true, ExternalID: "ext", ChannelBinding: &ChannelBinding{Type: "tls-exporter", Data: []byte("cb")}})
		if err != nil {
			return
		}
		ctx := context.Background()
		for _, m := range [][]byte{m1, m2, m2} {
			if _, done, err := x.Next(ctx, m); err != nil || done {
				break
			}
		}
		if o, ok := x.Outcome(); ok && o.Mech != MechExternal {
			t.Fatalf("authenticated %+v against an empty store", o)
		}
	})
}

func TestLoginCommand(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	o, err := s.Login(ctx, ConnState{}, "ALICE", []byte("secret1"))
	if err != nil || o.AuthID != "alice" || o.User != "alice" || !o.Plaintext || o.Method != "auxprop" {
		t.Errorf("login: %+v %v", o, err)
	}
	if _, err := s.Login(ctx, ConnState{}, "alice", []byte("bad")); codeOf(err) != CodeBadAuth {
		t.Errorf("bad password: %v", err)
	}
	s.AllowPlaintext = false
	if _, err := s.Login(ctx, ConnState{}, "alice", []byte("secret1")); codeOf(err) != CodeEncrypt {
		t.Errorf("no TLS: %v", err)
	}
	if _, err := s.Login(ctx, ConnState{TLS: true}, "alice", []byte("secret1")); err != nil {
		t.Errorf("TLS: %v", err)
	}
	s.Authorize = func(context.Context, string, string) error { return errf(CodeNoAuthz, "denied") }
	if _, err := s.Login(ctx, ConnState{TLS: true}, "alice", []byte("secret1")); codeOf(err) != CodeNoAuthz {
		t.Errorf("userdeny: %v", err)
	}
}
