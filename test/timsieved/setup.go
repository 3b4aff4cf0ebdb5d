package timsieved

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gyrus/test/harness"
)

// Admin of the Gyrus instances.
const (
	adminUser = "admin"
	adminPW   = "adminpw"
)

// certs are a CA, a server certificate for localhost and a client
// certificate for alice, all signed by the CA.
type certs struct {
	dir                   string
	caFile                string
	serverCert, serverKey string
	client                tls.Certificate
	pool                  *x509.CertPool
}

func makeCerts(t testing.TB) *certs {
	t.Helper()
	dir, err := os.MkdirTemp("", "gyrus-sieve-tls-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	c := &certs{dir: dir, pool: x509.NewCertPool()}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Gyrus test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	c.pool.AddCert(ca)
	c.caFile = c.write(t, "ca.pem", "CERTIFICATE", caDER)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		}
		if cn == "localhost" {
			tmpl.DNSNames = []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	der, k := issue(2, "localhost", x509.ExtKeyUsageServerAuth)
	c.serverCert = c.write(t, "server.pem", "CERTIFICATE", der)
	kder, _ := x509.MarshalPKCS8PrivateKey(k)
	c.serverKey = c.write(t, "server.key", "PRIVATE KEY", kder)
	der, k = issue(3, "alice", x509.ExtKeyUsageClientAuth)
	c.client = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	return c
}

func (c *certs) write(t testing.TB, name, typ string, der []byte) string {
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tlsConfig is the client side: trusts the CA, with alice's certificate
// when withCert.
func (c *certs) tlsConfig(withCert bool) *tls.Config {
	cfg := &tls.Config{ServerName: "localhost", RootCAs: c.pool}
	if withCert {
		cfg.Certificates = []tls.Certificate{c.client}
	}
	return cfg
}

// startGyrus starts master with imapd and timsieved, TLS with the test
// CA, and the users (their INBOXes created over IMAP by the admin).
func startGyrus(t testing.TB, c *certs, conf map[string]string, users map[string]string) *harness.Instance {
	t.Helper()
	keys := map[string]string{
		"tls_server_cert":     c.serverCert,
		"tls_server_key":      c.serverKey,
		"tls_client_ca_file":  c.caFile,
		"sasl_mech_list":      "PLAIN LOGIN",
		"admins":              adminUser,
		"imap_allowplaintext": "yes", // the admin creates INBOXes over plain IMAP
	}
	for k, v := range conf {
		keys[k] = v
	}
	in := harness.Start(t, harness.Options{IMAPDConf: keys, CyrusConf: `
SERVICES {
  imap  cmd="imapd -C {conf}" listen="127.0.0.1:{port:imap}" prefork=0
  sieve cmd="timsieved -C {conf}" listen="127.0.0.1:{port:sieve}" prefork=0
}`})
	in.AddUser(t, adminUser, adminPW)
	createUsers(t, in, users)
	return in
}

func createUsers(t testing.TB, in *harness.Instance, users map[string]string) {
	t.Helper()
	l := in.Dial(t, "imap")
	l.ExpectUntagged("OK")
	l.OK("a", "LOGIN "+adminUser+" "+adminPW)
	for u, pw := range users {
		in.AddUser(t, u, pw)
		l.OK("c", "CREATE user."+u)
	}
	l.OK("z", "LOGOUT")
}

// scramClient runs SCRAM-SHA-256 (with cb the channel binding of -PLUS,
// tls-exporter) as a client against c. It returns the server's final
// response line.
func scramClient(t testing.TB, c *Client, mech, user, pw string, cb []byte) []string {
	t.Helper()
	nonce := make([]byte, 18)
	rand.Read(nonce)
	cnonce := base64.StdEncoding.EncodeToString(nonce)
	gs2 := "n,,"
	if cb != nil {
		gs2 = "p=tls-exporter,,"
	}
	bare := "n=" + user + ",r=" + cnonce
	c.Send(`AUTHENTICATE "` + mech + `" "` + base64.StdEncoding.EncodeToString([]byte(gs2+bare)) + "\"\r\n")
	first := string(c.Challenge())
	attrs := map[string]string{}
	for _, kv := range strings.Split(first, ",") {
		if len(kv) > 2 {
			attrs[kv[:1]] = kv[2:]
		}
	}
	if !strings.HasPrefix(attrs["r"], cnonce) {
		t.Fatalf("server nonce %q does not extend ours", attrs["r"])
	}
	salt, _ := base64.StdEncoding.DecodeString(attrs["s"])
	var iter int
	fmt.Sscan(attrs["i"], &iter)
	salted, err := pbkdf2.Key(sha256.New, pw, salt, iter, 32)
	if err != nil {
		t.Fatal(err)
	}
	mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	cbind := base64.StdEncoding.EncodeToString(append([]byte(gs2), cb...))
	final := "c=" + cbind + ",r=" + attrs["r"]
	authMsg := bare + "," + first + "," + final
	sig := mac(stored[:], authMsg)
	proof := make([]byte, len(clientKey))
	for i := range proof {
		proof[i] = clientKey[i] ^ sig[i]
	}
	c.Send(`"` + base64.StdEncoding.EncodeToString([]byte(final+",p="+base64.StdEncoding.EncodeToString(proof))) + "\"\r\n")
	r := c.Response()
	// RFC 5804 2.1: the server's final message comes with the OK
	if last := r[len(r)-1]; strings.HasPrefix(last, "OK (SASL \"") {
		v, _ := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(last, `OK (SASL "`), `")`))
		want := "v=" + base64.StdEncoding.EncodeToString(mac(mac(salted, "Server Key"), authMsg))
		if string(v) != want {
			t.Errorf("server signature %q, want %q", v, want)
		}
	}
	return r
}
