package pop3

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gyrus/lib/sasl/store"
	"gyrus/test/harness"
)

// realSaslpasswd2 is Cyrus SASL's own tool (installed with the oracle):
// it writes the Berkeley DB sasldb2 with clear-text passwords.
const realSaslpasswd2 = "/usr/sbin/saslpasswd2"

// baseOptions are the imapd.conf keys both servers get for every script:
// no pause after a failed login (Cyrus's 3 s would make the suite slow).
var baseOptions = map[string]string{"failedloginpause": "0"}

// sasldbLocks serialises the writers of one Berkeley DB sasldb2 (no
// environment: one writer at a time); instances have files of their own
// and need not wait for each other.
var sasldbLocks sync.Map // path -> *sync.Mutex

func sasldbLock(path string) func() {
	m, _ := sasldbLocks.LoadOrStore(path, new(sync.Mutex))
	m.(*sync.Mutex).Lock()
	return m.(*sync.Mutex).Unlock
}

// createInbox logs in as the admin and creates user.NAME.
func createInbox(imapAddr, name string) error {
	c, err := dialIMAP(imapAddr, AdminUser, AdminPassword, 30*time.Second)
	if err != nil {
		return err
	}
	defer c.conn.Close()
	_, st, err := c.cmd("CREATE "+quote("user."+name), nil, 30*time.Second)
	if err != nil {
		return err
	}
	if st != "OK" {
		return fmt.Errorf("CREATE user.%s: %s", name, st)
	}
	c.cmd("LOGOUT", nil, 5*time.Second)
	return nil
}

// clearSecret stores a clear-text password with Cyrus SASL's
// saslpasswd2 (as uid/gid when given).
func clearSecret(sasldb, name, password string, cred *syscall.Credential) error {
	defer sasldbLock(sasldb)()
	cmd := exec.Command(realSaslpasswd2, "-p", "-c", "-f", sasldb, "-u", "localhost", name)
	cmd.Stdin = strings.NewReader(password)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("saslpasswd2 %s: %v: %s", name, err, out)
	}
	return nil
}

// ---- real Cyrus -------------------------------------------------------------

type cyrus struct {
	*harness.Oracle
	t    testing.TB
	cred *syscall.Credential
}

// StartCyrus starts the real Cyrus 3.6.1 with the options (and TLS, with
// cyrus-ref's self-signed certificate).
func StartCyrus(t testing.TB, opts map[string]string) Target {
	t.Helper()
	if _, err := os.Stat(realSaslpasswd2); err != nil {
		t.Skip("Cyrus SASL's saslpasswd2 is not installed")
	}
	var kv []string
	for k, v := range merged(opts) {
		kv = append(kv, k+"="+v)
	}
	o := harness.StartOracle(t, harness.OracleOptions{Opts: kv})
	cu, err := user.Lookup("cyrus")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(cu.Uid)
	gid, _ := strconv.Atoi(cu.Gid)
	return &cyrus{Oracle: o, t: t, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
}

func merged(opts map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range baseOptions {
		m[k] = v
	}
	for k, v := range opts {
		m[k] = v
	}
	return m
}

func (c *cyrus) CreateUser(u User) error {
	if err := clearSecret(filepath.Join(c.Dir, "etc", "sasldb2"), u.Name, u.Password, c.cred); err != nil {
		return err
	}
	return createInbox(c.Addr("imap"), u.Name)
}

func (c *cyrus) MsgDir() string { return filepath.Join(c.Dir, "lib", "msg") }

func (c *cyrus) WriteFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	os.Chown(filepath.Dir(path), int(c.cred.Uid), int(c.cred.Gid))
	return os.Chown(path, int(c.cred.Uid), int(c.cred.Gid))
}

func (c *cyrus) Deny(user, msg string) error {
	out, err := c.Tool(c.t, "cyr_deny", "-s", "pop3", "-m", msg, user)
	if err != nil {
		return fmt.Errorf("cyr_deny: %v: %s", err, out)
	}
	return nil
}

// ---- Gyrus --------------------------------------------------------------------

type gyrus struct {
	*harness.Instance
	t testing.TB
}

// gyrusAllowLog are log lines the scripts provoke on purpose.
var gyrusAllowLog = []string{`(?i)badlogin`, `(?i)Unable to (open|lock) maildrop`, `(?i)Logins must be`,
	`(?i)denied access`, `(?i)Too many open connections`, `(?i)STARTTLS failed`, `(?i)couldn't authenticate`}

// StartGyrus starts a Gyrus instance (master with imapd and pop3d) with
// the options, TLS from a fresh self-signed certificate, and cyrus as the
// admin.
func StartGyrus(t testing.TB, opts map[string]string) Target {
	t.Helper()
	return startGyrus(t, opts, "")
}

// startGyrus is StartGyrus with a cyrus.conf template ("" for the
// harness's default services).
func startGyrus(t testing.TB, opts map[string]string, cyrusConf string) *gyrus {
	t.Helper()
	if !harness.Have(t, "pop3d") || !harness.Have(t, "imapd") {
		t.Skip("cmd/pop3d or cmd/imapd does not build")
	}
	harness.Bin(t, "cyr_deny")
	// not t.TempDir(): the test name may hold commas, which would split
	// the tls_server_cert value into two file names
	certDir, err := os.MkdirTemp("", "pop3-cert-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(certDir) })
	cert, key := selfSigned(t, certDir)
	conf := map[string]string{
		"admins":          AdminUser,
		"tls_server_cert": cert,
		"tls_server_key":  key,
	}
	for k, v := range merged(opts) {
		conf[k] = v
	}
	in := harness.New(t, harness.Options{IMAPDConf: conf, AllowLog: gyrusAllowLog, CyrusConf: cyrusConf})
	// Older harnesses named the sasldb with a key libsasl does not know;
	// make sure the instance's own file is used.
	if b, err := os.ReadFile(in.IMAPDConf); err == nil && !strings.Contains(string(b), "\nsasl_sasldb_path:") {
		appendConf(t, in.IMAPDConf, "sasl_sasldb_path: "+filepath.Join(in.Dir, "etc", "sasldb2")+"\n")
	}
	in.Start()
	g := &gyrus{Instance: in, t: t}
	if err := g.gyrusSecret(AdminUser, AdminPassword); err != nil {
		t.Fatal(err)
	}
	return g
}

func appendConf(t testing.TB, path, text string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// gyrusSecret stores a password in the instance's hashed store as
// Gyrus's saslpasswd2 -c does (same package, same file, same lock), but
// in this process: one saslpasswd2 run per user made the big script
// groups wait seconds for their users.
func (g *gyrus) gyrusSecret(name, password string) error {
	db := filepath.Join(g.Dir, "etc", "sasldb2")
	if err := store.Open(store.PathFor(db), 0).SetPassword(name, "localhost", []byte(password)); err != nil {
		return fmt.Errorf("secret of %s in %s: %w", name, db, err)
	}
	return nil
}

func (g *gyrus) CreateUser(u User) error {
	var err error
	if u.Clear {
		if _, serr := os.Stat(realSaslpasswd2); serr != nil {
			return fmt.Errorf("clear user %s needs Cyrus SASL's saslpasswd2: %v", u.Name, serr)
		}
		err = clearSecret(filepath.Join(g.Dir, "etc", "sasldb2"), u.Name, u.Password, nil)
	} else {
		err = g.gyrusSecret(u.Name, u.Password)
	}
	if err != nil {
		return err
	}
	return createInbox(g.Addr("imap"), u.Name)
}

func (g *gyrus) MsgDir() string { return filepath.Join(g.ConfigDir, "msg") }

func (g *gyrus) WriteFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func (g *gyrus) Deny(user, msg string) error {
	out, err := exec.Command(filepath.Join(g.Bin, "cyr_deny"), "-C", g.IMAPDConf, "-s", "pop3", "-m", msg, user).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cyr_deny: %v: %s", err, out)
	}
	return nil
}

// selfSigned writes a throw-away certificate for localhost.
func selfSigned(t testing.TB, dir string) (certPath, keyPath string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certPath, keyPath
}
