package imap

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gyrus/test/harness"
)

// tlsOpts are the imapd.conf keys both servers get in the TLS tests:
// plain-text logins only under TLS, so that LOGINDISABLED and the AUTH=
// list change with STARTTLS.
var tlsOpts = map[string]string{"allowplaintext": "no"}

// writeCert writes a self-signed certificate for localhost and its key;
// both are readable by the services (which may drop to user cyrus).
func writeCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "gyrus-imap-tls-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o644); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// tlsClient is a line client that can switch to TLS.
type tlsClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	norm *Normalizer
	out  []string // normalized server lines, with the client lines
}

func newTLSClient(t *testing.T, conn net.Conn) *tlsClient {
	return &tlsClient{t: t, conn: conn, r: bufio.NewReader(conn), norm: NewNormalizer(time.Now(), nil)}
}

func (c *tlsClient) readLine(greeting bool) string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (after %q)", err, c.out)
	}
	l = c.norm.Text(strings.TrimRight(l, "\r\n"), greeting)
	c.out = append(c.out, "S: "+l)
	return l
}

// cmd sends a line and reads up to its tagged answer.
func (c *tlsClient) cmd(tag, text string) string {
	c.t.Helper()
	c.out = append(c.out, "C: "+tag+" "+text)
	c.conn.SetWriteDeadline(time.Now().Add(15 * time.Second))
	if _, err := fmt.Fprintf(c.conn, "%s %s\r\n", tag, text); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	for {
		if l := c.readLine(false); strings.HasPrefix(l, tag+" ") {
			return l
		}
	}
}

// startTLS wraps the connection after a STARTTLS OK (or at once, for
// imaps). The servers' certificates are self-signed.
func (c *tlsClient) startTLS() tls.ConnectionState {
	c.t.Helper()
	tc := tls.Client(c.conn, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
	tc.SetDeadline(time.Now().Add(15 * time.Second))
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake: %v", err)
	}
	tc.SetDeadline(time.Time{})
	c.conn, c.r = tc, bufio.NewReader(tc)
	c.out = append(c.out, "-- TLS")
	return tc.ConnectionState()
}

// starttlsSession is the conversation compared between the servers:
// the greeting and CAPABILITY before TLS, LOGIN refused, STARTTLS, the
// capabilities and LOGIN under TLS, a second STARTTLS.
func starttlsSession(t *testing.T, addr string) []string {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := newTLSClient(t, conn)
	c.readLine(true)
	c.cmd("a1", "CAPABILITY")
	c.cmd("a2", "LOGIN tlsu secret")
	if st := c.cmd("a3", "STARTTLS"); !strings.HasPrefix(st, "a3 OK") {
		t.Fatalf("STARTTLS: %s", st)
	}
	if cs := c.startTLS(); !cs.HandshakeComplete {
		t.Fatal("handshake not complete")
	}
	c.cmd("a4", "CAPABILITY")
	c.cmd("a5", "STARTTLS")
	c.cmd("a6", "LOGIN tlsu secret")
	c.cmd("a7", "CAPABILITY")
	c.cmd("a8", "LOGOUT")
	conn.Close()

	// the same with AUTHENTICATE, whose SASL layer (none) replaces TLS's
	// strength in Cyrus: the AUTH= list goes after login
	conn2, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	c.conn, c.r = conn2, bufio.NewReader(conn2)
	c.out = append(c.out, "-- second connection")
	c.readLine(true)
	c.cmd("b1", "STARTTLS")
	c.startTLS()
	c.cmd("b2", "AUTHENTICATE PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00tlsu\x00secret")))
	c.cmd("b3", "CAPABILITY")
	c.cmd("b4", "LOGOUT")
	return c.out
}

// secretOnly gives u a password without creating its INBOX: creating it
// takes an admin LOGIN, which allowplaintext: no refuses without TLS.
// LOGIN itself needs no INBOX.
func secretOnly(in Instance, u User) error {
	switch x := in.(type) {
	case *gyrus:
		return realmStore{}.AddUser(x.Instance, u.Name, u.Password)
	case *running:
		return cyrusSecret(x.dir, &x.users, u)
	}
	return fmt.Errorf("unknown instance %T", in)
}

// TestSTARTTLS plays the same STARTTLS conversation against the real
// Cyrus (its self-signed certificate) and against Gyrus with
// tls_server_cert/tls_server_key, and compares the answers.
func TestSTARTTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a Cyrus and a Gyrus instance")
	}
	t.Parallel()
	u := User{Name: "tlsu", Password: "secret"}

	cert, key := writeCert(t)
	gopts := map[string]string{"tls_server_cert": cert, "tls_server_key": key}
	for k, v := range tlsOpts {
		gopts[k] = v
	}
	g := StartGyrus(t, gopts)
	if err := secretOnly(g, u); err != nil {
		t.Fatal(err)
	}
	got := starttlsSession(t, g.Addr("imap"))

	c := startCyrus(t, tlsOpts, true)
	if err := secretOnly(c, u); err != nil {
		t.Fatal(err)
	}
	want := starttlsSession(t, c.Addr("imap"))
	diffs, err := LoadDifferences(diffsFile)
	if err != nil {
		t.Fatal(err)
	}
	// deliberate differences, as in TestCompare: the added capabilities
	// (differences.txt "capability") leave both sides, the not-offered
	// ones the expected side
	for i := range want {
		want[i] = dropCapabilities(want[i], diffs.NotOffered, diffs.Capabilities)
	}
	for i := range got {
		got[i] = dropCapabilities(got[i], diffs.Capabilities)
	}

	if d := lineDiff(want, got); !equalLines(want, got) {
		t.Errorf("STARTTLS differs from Cyrus (- Cyrus, + Gyrus):\n%s", strings.Join(d, "\n"))
	}
	// what the comparison must have seen
	joined := strings.Join(got, "\n")
	for _, w := range []string{"STARTTLS LOGINDISABLED", "a3 OK", "AUTH=PLAIN", "a6 OK", "b2 OK"} {
		if !strings.Contains(joined, w) {
			t.Errorf("Gyrus conversation lacks %q:\n%s", w, joined)
		}
	}
}

// TestImaps: imapd -s under master, with the certificate from
// imapd.conf: the TLS handshake comes first, then the greeting, and
// plain-text logins are allowed on the protected connection.
func TestImaps(t *testing.T) {
	t.Parallel()
	if !harness.Have(t, "imapd") {
		t.Skip("cmd/imapd does not build")
	}
	cert, key := writeCert(t)
	conf := map[string]string{"admins": AdminUser, "tls_server_cert": cert, "tls_server_key": key, "allowplaintext": "no"}
	in := harness.New(t, harness.Options{
		CyrusConf: "SERVICES {\n  imaps cmd=\"imapd -s -C {conf}\" listen=\"127.0.0.1:{port:imaps}\" prefork=1\n}\n",
		IMAPDConf: conf, Store: realmStore{}, AllowLog: gyrusAllowLog,
	})
	in.Start()
	in.AddUser(t, "imapsu", "secret")

	conn, err := net.DialTimeout("tcp", in.Addr("imaps"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := newTLSClient(t, conn)
	cs := c.startTLS()
	if cs.Version < tls.VersionTLS12 {
		t.Errorf("TLS version %x", cs.Version)
	}
	greeting := c.readLine(true)
	if !strings.HasPrefix(greeting, "* OK [CAPABILITY IMAP4rev1 ") || strings.Contains(greeting, "STARTTLS") ||
		strings.Contains(greeting, "LOGINDISABLED") || !strings.Contains(greeting, "AUTH=PLAIN") {
		t.Errorf("imaps greeting: %s", greeting)
	}
	if st := c.cmd("a1", "LOGIN imapsu secret"); !strings.HasPrefix(st, "a1 OK [CAPABILITY ") {
		t.Errorf("LOGIN over imaps: %s", st)
	}
	if st := c.cmd("a2", "STARTTLS"); !strings.HasPrefix(st, "a2 BAD ") {
		t.Errorf("STARTTLS on imaps after login: %s", st)
	}
	c.cmd("a3", "LOGOUT")

	// a client that does not start TLS gets no greeting in clear
	raw, err := net.DialTimeout("tcp", in.Addr("imaps"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(raw, "a1 CAPABILITY\r\n")
	buf := make([]byte, 256)
	n, _ := raw.Read(buf)
	if strings.Contains(string(buf[:n]), "* OK") {
		t.Errorf("clear-text greeting on imaps: %q", buf[:n])
	}
}
