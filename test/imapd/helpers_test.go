package imapd

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/bench/common"
	"gyrus/test/harness"
)

const (
	adminUser = "admin"
	adminPass = "admin-pw"
	alicePass = "alice-pw"
	bobPass   = "bob-pw"
	rareWord  = "zephyrine"
)

// mailboxSize is the number of messages of the synced mailbox: 5,000 as
// issue #7 asks, or $GYRUS_IMAPD_E2E_N.
func mailboxSize(t testing.TB) int {
	if v := os.Getenv("GYRUS_IMAPD_E2E_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			t.Fatalf("GYRUS_IMAPD_E2E_N=%q: want a number >= 100", v)
		}
		return n
	}
	return 5000
}

// testCorpus is the generated mail: small messages (0.8-6 KB) so that a
// full BODY[] sync of 5,000 stays a few tens of megabytes; one message in
// fifty holds rareWord.
func testCorpus() *common.Corpus {
	return &common.Corpus{Seed: 7, MinSize: 800, MaxSize: 6000, RareRate: 0.02, Rare: rareWord, To: "alice@localhost"}
}

// expect is what the corpus says about message i (UID i+1).
type expect struct {
	raw       []byte
	subject   string // decoded
	messageID string // without < >
	from      string
	rare      bool
	date      time.Time
}

func expectations(t testing.TB, c *common.Corpus, n int) []expect {
	t.Helper()
	var dec mime.WordDecoder
	out := make([]expect, n)
	for i := range out {
		m := c.Message(i)
		msg, err := mail.ReadMessage(strings.NewReader(string(m.Raw)))
		if err != nil {
			t.Fatalf("corpus message %d: %v", i, err)
		}
		subj, err := dec.DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("corpus message %d subject: %v", i, err)
		}
		out[i] = expect{raw: m.Raw, subject: subj, messageID: strings.Trim(m.MessageID, "<>"),
			from: m.From, rare: m.Rare, date: m.Date}
	}
	return out
}

// server is a running Gyrus with admin, alice and bob, alice's mailboxes
// INBOX and INBOX.Archive, bob's INBOX and INBOX.Archive.
type server struct {
	*harness.Instance
	tls bool
}

// startServer starts master with imapd (plain, and imaps when withTLS)
// and lmtpd; withTLS also configures STARTTLS from a fresh self-signed
// certificate.
func startServer(t *testing.T, withTLS bool) *server {
	t.Helper()
	for _, p := range []string{"imapd", "lmtpd", "saslpasswd2"} {
		if !harness.Have(t, p) {
			t.Skipf("cmd/%s does not build", p)
		}
	}
	conf := map[string]string{"admins": adminUser}
	services := `SERVICES {
  imap cmd="imapd -C {conf}" listen="127.0.0.1:{port:imap}" prefork=1
  lmtp cmd="lmtpd -a -C {conf}" listen="127.0.0.1:{port:lmtp}" prefork=0
`
	if withTLS {
		// not t.TempDir(): a test name with a comma would split the
		// tls_server_cert value
		dir, err := os.MkdirTemp("", "imapd-e2e-cert-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		cert, key := selfSigned(t, dir)
		conf["tls_server_cert"] = cert
		conf["tls_server_key"] = key
		services += `  imaps cmd="imapd -s -C {conf}" listen="127.0.0.1:{port:imaps}" prefork=0
`
	}
	services += "}\n"
	in := harness.Start(t, harness.Options{IMAPDConf: conf, CyrusConf: services,
		Users: map[string]string{adminUser: adminPass, "alice": alicePass, "bob": bobPass}})
	s := &server{Instance: in, tls: withTLS}
	a := s.dialRaw(t, adminUser, adminPass)
	defer a.logout()
	for _, mb := range []string{"user.alice", "user.alice.Archive", "user.bob", "user.bob.Archive"} {
		a.ok(t, "CREATE "+mb)
	}
	return s
}

// selfSigned writes a P-256 certificate for localhost and 127.0.0.1 and
// its key into dir.
func selfSigned(t testing.TB, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
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
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// rawConn is a minimal IMAP client of our own, used only to load the
// mailbox quickly (MULTIAPPEND with LITERAL+) and for admin commands;
// the sessions under test use go-imap and imaplib.
type rawConn struct {
	c    net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	tag  int
	caps map[string]bool
}

func (s *server) dialRaw(t testing.TB, user, pass string) *rawConn {
	t.Helper()
	return dialRawAddr(t, s.Addr("imap"), user, pass)
}

// dialRawAddr connects a rawConn to any IMAP server and logs in.
func dialRawAddr(t testing.TB, addr, user, pass string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rc := &rawConn{c: c, r: bufio.NewReaderSize(c, 64<<10), w: bufio.NewWriterSize(c, 256<<10)}
	t.Cleanup(func() { c.Close() })
	if l, err := rc.line(); err != nil || !strings.HasPrefix(l, "* OK") {
		t.Fatalf("greeting %q, %v", l, err)
	}
	rc.ok(t, "LOGIN "+user+" "+pass)
	rc.caps = map[string]bool{}
	for _, l := range rc.ok(t, "CAPABILITY") {
		if strings.HasPrefix(l, "* CAPABILITY ") {
			for _, c := range strings.Fields(l)[2:] {
				rc.caps[strings.ToUpper(c)] = true
			}
		}
	}
	return rc
}

func (rc *rawConn) line() (string, error) {
	rc.c.SetReadDeadline(time.Now().Add(2 * time.Minute))
	l, err := rc.r.ReadString('\n')
	return strings.TrimRight(l, "\r\n"), err
}

// command sends one command (with its literals already in it) and reads
// to the tagged answer; literals in answers are skipped by byte count.
func (rc *rawConn) command(cmd string, literals ...[]byte) (untagged []string, status string, err error) {
	rc.tag++
	tag := "r" + strconv.Itoa(rc.tag)
	rc.w.WriteString(tag + " " + cmd)
	for _, lit := range literals {
		// pieces of the command: text, literal, text, ...
		rc.w.Write(lit)
	}
	rc.w.WriteString("\r\n")
	if err := rc.w.Flush(); err != nil {
		return nil, "", err
	}
	for {
		l, err := rc.line()
		if err != nil {
			return untagged, "", err
		}
		for strings.HasSuffix(l, "}") {
			i := strings.LastIndexByte(l, '{')
			n, e := strconv.Atoi(l[i+1 : len(l)-1])
			if i < 0 || e != nil {
				break
			}
			if _, err := rc.r.Discard(n); err != nil {
				return untagged, "", err
			}
			rest, err := rc.line()
			if err != nil {
				return untagged, "", err
			}
			l += "..." + rest
		}
		if strings.HasPrefix(l, tag+" ") {
			return untagged, strings.TrimPrefix(l, tag+" "), nil
		}
		untagged = append(untagged, l)
	}
}

func (rc *rawConn) ok(t testing.TB, cmd string) []string {
	t.Helper()
	u, st, err := rc.command(cmd)
	if err != nil || !strings.HasPrefix(st, "OK") {
		t.Fatalf("%s: %q %v (untagged %q)", cmd, st, err, u)
	}
	return u
}

func (rc *rawConn) logout() { rc.command("LOGOUT") }

// load appends the messages to mbox in corpus order, batch messages per
// MULTIAPPEND (RFC 3502) with non-synchronising literals (RFC 7888), each
// with the corpus's Date as internal date.
func (rc *rawConn) load(t testing.TB, mbox string, msgs []expect, batch int) {
	t.Helper()
	if !rc.caps["MULTIAPPEND"] || !rc.caps["LITERAL+"] {
		t.Fatalf("imapd does not offer MULTIAPPEND and LITERAL+: %v", rc.caps)
	}
	for start := 0; start < len(msgs); start += batch {
		end := min(start+batch, len(msgs))
		pieces := [][]byte{[]byte("APPEND " + mbox)}
		for i := start; i < end; i++ {
			head := fmt.Sprintf(" () %q {%d+}\r\n", msgs[i].date.Format("02-Jan-2006 15:04:05 -0700"), len(msgs[i].raw))
			pieces = append(pieces, []byte(head), msgs[i].raw)
		}
		_, st, err := rc.command("", pieces...)
		if err != nil || !strings.HasPrefix(st, "OK") {
			t.Fatalf("MULTIAPPEND of messages %d-%d: %q %v", start, end-1, st, err)
		}
	}
}
