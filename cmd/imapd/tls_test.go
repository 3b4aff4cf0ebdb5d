package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/sasl/store"
	"gyrus/lib/service"
	"gyrus/lib/tool"
)

// writeTestCert writes a self-signed certificate for "localhost" and its
// key as PEM files and returns their paths and a pool trusting it.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// newTLSServer is newTestServer with a certificate, plain-text passwords
// refused without TLS, and the given flags (-N always); extra are more
// imapd.conf keys and values.
func newTLSServer(t *testing.T, f Flags, extra ...string) (*Server, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile, pool := writeTestCert(t, dir)
	m := map[string]string{
		"configdirectory":   filepath.Join(dir, "lib"),
		"partition-default": filepath.Join(dir, "spool"),
		"servername":        "localhost",
		"admins":            "admin",
		"sasl_sasldb_path":  filepath.Join(dir, "sasldb2"),
		"sasl_mech_list":    "PLAIN LOGIN",
		"allowplaintext":    "no",
		"failedloginpause":  "0",
		"tls_server_cert":   certFile,
		"tls_server_key":    keyFile,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	cfg, err := config.FromMap(m, "imapd")
	if err != nil {
		t.Fatal(err)
	}
	f.NoPassword = true
	env := &service.Env{Context: &tool.Context{Config: cfg, Ident: "imapd"}, Service: "imapd"}
	srv, err := NewServer(env, f)
	if err != nil {
		t.Fatal(err)
	}
	if srv.tls == nil {
		t.Fatal("TLS not enabled with tls_server_cert and tls_server_key")
	}
	return srv, pool
}

// startTLSPipe runs a session of srv and wraps the client end in TLS
// once the caller asks (handshake).
type tlsPipe struct {
	*pipeClient
	raw net.Conn
}

func (tp *tlsPipe) handshake(t *testing.T, pool *x509.CertPool) tls.ConnectionState {
	t.Helper()
	tc := tls.Client(tp.raw, &tls.Config{ServerName: "localhost", RootCAs: pool})
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.HandshakeContext(context.Background()); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	tc.SetDeadline(time.Time{})
	tp.c = tc
	tp.r = bufio.NewReader(tc)
	return tc.ConnectionState()
}

// startTLSPipe runs a session of srv over loopback TCP (net.Pipe has no
// buffer, and TLS 1.3 session tickets written after the handshake would
// wait for a client that is not reading).
func startTLSPipe(t *testing.T, srv *Server) *tlsPipe {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	pc := &pipeClient{t: t, c: a, r: bufio.NewReader(a), done: make(chan struct{})}
	go func() {
		defer close(pc.done)
		defer b.Close()
		newSession(srv, b, nil).run(context.Background())
	}()
	t.Cleanup(func() {
		a.Close()
		select {
		case <-pc.done:
		case <-time.After(5 * time.Second):
			t.Error("session did not end")
		}
	})
	return &tlsPipe{pipeClient: pc, raw: a}
}

// STARTTLS (RFC 3501 6.2.1, RFC 2595): offered with a certificate;
// LOGINDISABLED and no plain-text mechanisms before it; after it, the
// capabilities change, LOGIN works, and a second STARTTLS is refused.
func TestSTARTTLS(t *testing.T) {
	srv, pool := newTLSServer(t, Flags{})
	tp := startTLSPipe(t, srv)
	greeting := tp.line()
	pre := " " + capsOf(t, greeting) + " "
	for _, w := range []string{" STARTTLS ", " LOGINDISABLED "} {
		if !strings.Contains(pre, w) {
			t.Errorf("greeting without%s: %s", w, greeting)
		}
	}
	if strings.Contains(pre, "AUTH=PLAIN") {
		t.Errorf("plain-text mechanism offered without TLS: %s", greeting)
	}
	if _, st := tp.cmd("a1", "LOGIN alice x"); !strings.HasPrefix(st, "a1 NO ") {
		t.Errorf("LOGIN without TLS: %s", st)
	}
	if u := tp.ok("a2", "STARTTLS"); len(u) != 0 {
		t.Errorf("STARTTLS untagged: %q", u)
	}
	cs := tp.handshake(t, pool)
	if !cs.HandshakeComplete || cs.Version < tls.VersionTLS12 {
		t.Fatalf("TLS state: %+v", cs)
	}
	u := tp.ok("a3", "CAPABILITY")
	post := " " + strings.TrimPrefix(u[0], "* CAPABILITY ") + " "
	for _, w := range []string{" STARTTLS ", " LOGINDISABLED "} {
		if strings.Contains(post, w) {
			t.Errorf("after STARTTLS still%s: %s", w, u[0])
		}
	}
	if !strings.Contains(post, " AUTH=PLAIN ") {
		t.Errorf("after STARTTLS no AUTH=PLAIN: %s", u[0])
	}
	if _, st := tp.cmd("a4", "STARTTLS"); st != "a4 BAD Already did a successful Starttls" {
		t.Errorf("second STARTTLS: %s", st)
	}
	// after LOGIN under TLS Cyrus keeps TLS's strength and lists the
	// mechanisms (without SASL-IR); test/imap TestSTARTTLS compares it
	_, st := tp.cmd("a5", "LOGIN alice x")
	if code := capsOf(t, st); !strings.Contains(" "+code+" ", " AUTH=PLAIN ") || strings.Contains(code, "SASL-IR") {
		t.Errorf("LOGIN under TLS: %s", st)
	}
	if _, st := tp.cmd("a6", "STARTTLS"); !strings.HasPrefix(st, "a6 BAD ") {
		t.Errorf("STARTTLS after login: %s", st)
	}
	tp.ok("a7", "LOGOUT")
}

// tls_required: no login of any kind, and no AUTH=, until STARTTLS; an
// AUTHENTICATE (whose SASL layer, none, replaces TLS's strength) hides
// AUTH= after login, as Cyrus does.
func TestTLSRequired(t *testing.T) {
	srv, pool := newTLSServer(t, Flags{}, "tls_required", "yes")
	// AUTHENTICATE checks the password even with -N
	path, _ := srv.cfg.Overflow("sasl_sasldb_path")
	if err := store.Open(store.PathFor(path), 0).SetPassword("alice", "localhost", []byte("secret")); err != nil {
		t.Fatal(err)
	}
	plain := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00secret"))
	tp := startTLSPipe(t, srv)
	caps := " " + capsOf(t, tp.line()) + " "
	if !strings.Contains(caps, " STARTTLS LOGINDISABLED ") || strings.Contains(caps, " AUTH=") {
		t.Errorf("tls_required greeting: %s", caps)
	}
	if _, st := tp.cmd("a1", "AUTHENTICATE PLAIN "+plain); st != "a1 NO Authenticate only available under a layer" {
		t.Errorf("AUTHENTICATE before TLS: %s", st)
	}
	tp.ok("a2", "STARTTLS")
	tp.handshake(t, pool)
	u := tp.ok("a3", "CAPABILITY")
	if !strings.Contains(u[0], " AUTH=PLAIN ") || strings.Contains(u[0], "LOGINDISABLED") {
		t.Errorf("tls_required after STARTTLS: %s", u[0])
	}
	_, st := tp.cmd("a4", "AUTHENTICATE PLAIN "+plain)
	if !strings.HasPrefix(st, "a4 OK [CAPABILITY ") || strings.Contains(st, " AUTH=") {
		t.Errorf("AUTHENTICATE under TLS: %s", st)
	}
}

// imapd -s: the handshake comes before the greeting, which then offers
// neither STARTTLS nor LOGINDISABLED.
func TestImplicitTLS(t *testing.T) {
	srv, pool := newTLSServer(t, Flags{ImplicitTLS: true})
	tp := startTLSPipe(t, srv)
	tp.handshake(t, pool)
	greeting := tp.line()
	caps := " " + capsOf(t, greeting) + " "
	if strings.Contains(caps, " STARTTLS ") || strings.Contains(caps, " LOGINDISABLED ") {
		t.Errorf("imaps greeting: %s", greeting)
	}
	if !strings.Contains(caps, " AUTH=PLAIN ") {
		t.Errorf("imaps greeting without AUTH=PLAIN: %s", greeting)
	}
	u, st := tp.cmd("a1", "LOGIN alice x")
	if len(u) != 0 || !strings.HasPrefix(st, "a1 OK [CAPABILITY ") {
		t.Errorf("LOGIN over imaps: %q %s", u, st)
	}
	tp.ok("a2", "LOGOUT")
}

// imapd -s without a certificate is a configuration error (exit 78),
// and a client that does not speak TLS gets no greeting.
func TestImplicitTLSNeedsCert(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.FromMap(map[string]string{
		"configdirectory":   filepath.Join(dir, "lib"),
		"partition-default": filepath.Join(dir, "spool"),
	}, "imapd")
	if err != nil {
		t.Fatal(err)
	}
	env := &service.Env{Context: &tool.Context{Config: cfg, Ident: "imapd"}, Service: "imapd"}
	if _, err := NewServer(env, Flags{ImplicitTLS: true}); err == nil || !strings.Contains(err.Error(), "tls_server_cert") {
		t.Errorf("imapd -s without a certificate: %v", err)
	}

	srv, _ := newTLSServer(t, Flags{ImplicitTLS: true})
	pc := startTLSPipe(t, srv)
	pc.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := pc.c.Write([]byte("a1 CAPABILITY\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	n, _ := pc.r.Read(buf)
	if strings.Contains(string(buf[:n]), "* OK") {
		t.Errorf("plain-text greeting on imaps: %q", buf[:n])
	}
}
