package tlsutil

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/log"
)

// logBuf collects what the package logs during tests (nothing goes to a
// real syslog socket).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var logBuf = &syncBuffer{}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		childServer()
		return
	}
	log.Setup(log.Options{Ident: "tlsutil-test", Socket: "/nonexistent/tlsutil-test-log", Stderr: logBuf, Debug: true})
	os.Exit(m.Run())
}

// pki is a test CA with what it issued.
type pki struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

var serial int64 = 100

func nextSerial() *big.Int { serial++; return big.NewInt(serial) }

func newCA(t testing.TB, cn string) *pki {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: nextSerial(), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &pki{cert: c, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes a leaf certificate signed by ca; keyType is "rsa", "rsa1024" or "ec".
func (ca *pki) issue(t testing.TB, cn, keyType string, client bool) (certPEM, keyPEM []byte, leaf *x509.Certificate) {
	t.Helper()
	var key crypto.Signer
	switch keyType {
	case "rsa":
		key, _ = rsa.GenerateKey(rand.Reader, 2048)
	case "rsa1024":
		key, _ = rsa.GenerateKey(rand.Reader, 1024)
	default:
		key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	eku := x509.ExtKeyUsageServerAuth
	if client {
		eku = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{SerialNumber: nextSerial(), Subject: pkix.Name{CommonName: cn},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{eku}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ = x509.ParseCertificate(der)
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), leaf
}

// crl makes a PEM CRL of ca revoking the given serials.
func (ca *pki) crl(t testing.TB, next time.Time, revoked ...*big.Int) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range revoked {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: nextSerial(),
		ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: next, RevokedCertificateEntries: entries}, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// env is one test setup: a CA, a server certificate, a config directory.
type env struct {
	dir      string
	ca       *pki
	certFile string
	keyFile  string
	opts     map[string]string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{dir: t.TempDir(), ca: newCA(t, "Test CA")}
	c, k, _ := e.ca.issue(t, "localhost", "ec", false)
	e.certFile = writeFile(t, e.dir, "server.pem", c)
	e.keyFile = writeFile(t, e.dir, "server.key", k)
	e.opts = map[string]string{
		"configdirectory": e.dir,
		"tls_server_cert": e.certFile,
		"tls_server_key":  e.keyFile,
	}
	return e
}

func (e *env) config(t testing.TB, ident string, extra ...string) *config.Config {
	t.Helper()
	m := map[string]string{}
	for k, v := range e.opts {
		m[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
		if extra[i+1] == "" { // "" unsets the option
			delete(m, extra[i])
		}
	}
	c, err := config.FromMap(m, ident)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) server(t testing.TB, ident string, o Options, extra ...string) *Server {
	t.Helper()
	s, err := NewServer(e.config(t, ident, extra...), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// clientConfig trusts the env's CA.
func (e *env) clientConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(e.ca.cert)
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

// loopPair returns the two ends of a loopback TCP connection (a
// net.Pipe would deadlock: TLS 1.3 has both sides write at once around a
// HelloRetryRequest).
func loopPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-ch
	if server == nil {
		t.Fatal("accept failed")
	}
	return client, server
}

// dial runs one handshake between a client with cfg and s; it returns
// both sides' results.
func dial(t testing.TB, s *Server, cfg *tls.Config) (*State, tls.ConnectionState, error, error) {
	t.Helper()
	a, b := loopPair(t)
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type res struct {
		st  *State
		err error
	}
	ch := make(chan res, 1)
	go func() {
		tc, st, err := s.Handshake(ctx, b)
		if err == nil {
			// One byte after the handshake: it follows any TLS 1.3
			// tickets, so the client has them once it has read it.
			tc.Write([]byte{'x'})
		}
		ch <- res{st, err}
	}()
	c := tls.Client(a, cfg)
	cerr := c.HandshakeContext(ctx)
	var ccs tls.ConnectionState
	if cerr == nil {
		ccs = c.ConnectionState()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		c.Read(make([]byte, 1))
	} else {
		a.Close()
	}
	r := <-ch
	return r.st, ccs, r.err, cerr
}

func fmtState(st *State) string {
	if st == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s %s resumed=%v cn=%q", st.Version, st.Cipher, st.Resumed, st.PeerCN)
}
