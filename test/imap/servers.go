package imap

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gyrus/test/harness"
)

// Instance is a server started for a group of scripts (one set of
// options): a Target that can also create users.
type Instance interface {
	Target
	// CreateUser gives the user a password and an INBOX (as cyrus-ref
	// adduser does: the SASL secret, then CREATE user.NAME as admin).
	CreateUser(u User) error
}

// users is what both kinds of instance share: the admin's CREATE of a
// user's INBOX, and a lock serializing writes to the sasldb (Berkeley DB
// without an environment: one writer at a time).
type users struct {
	addr    string
	unixsep bool
	reset   bool // delete the user's mailboxes first (a server reused across runs)
	mu      sync.Mutex
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "yes", "on", "true", "t":
		return true
	}
	return false
}

// inboxName is the admin's name of a user's INBOX.
func (us *users) inboxName(name string) string {
	sep := "."
	if us.unixsep {
		sep = "/"
	}
	local, domain, ok := strings.Cut(name, "@")
	mbox := "user" + sep + local
	if ok {
		mbox += "@" + domain
	}
	return mbox
}

// createInbox logs in as the admin and creates the user's INBOX.
func (us *users) createInbox(name string) error {
	c, err := adminDial(us.addr)
	if err != nil {
		return err
	}
	defer c.close()
	mbox := us.inboxName(name)
	if us.reset {
		// may not exist; an admin needs the x right to delete
		c.cmd("SETACL " + quote(mbox) + " " + AdminUser + " lrswipkxtecda")
		c.cmd("DELETE " + quote(mbox))
	}
	st, text, err := c.cmd("CREATE " + quote(mbox))
	if err != nil {
		return err
	}
	if st != "OK" {
		return fmt.Errorf("CREATE %s: %s", mbox, text)
	}
	return nil
}

// adminConn is a minimal client for the harness's own work.
type adminConn struct {
	c  net.Conn
	br *bufio.Reader
	n  int
}

func adminDial(addr string) (*adminConn, error) {
	var c net.Conn
	var err error
	for i := 0; i < 50; i++ {
		if c, err = net.DialTimeout("tcp", addr, 10*time.Second); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	a := &adminConn{c: c, br: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := ReadResponse(a.br); err != nil {
		c.Close()
		return nil, fmt.Errorf("greeting: %v", err)
	}
	st, text, err := a.cmd("LOGIN " + quote(AdminUser) + " " + quote(AdminPassword))
	if err != nil || st != "OK" {
		c.Close()
		return nil, fmt.Errorf("admin login: %s %v", text, err)
	}
	return a, nil
}

func (a *adminConn) cmd(line string) (status, text string, err error) {
	a.n++
	tag := fmt.Sprintf("h%d", a.n)
	if _, err := a.c.Write([]byte(tag + " " + line + "\r\n")); err != nil {
		return "", "", err
	}
	for {
		r, err := ReadResponse(a.br)
		if err != nil {
			return "", "", err
		}
		if r.Tagged(tag) {
			return r.Status(), r.Texts[0], nil
		}
	}
}

func (a *adminConn) close() {
	a.cmd("LOGOUT")
	a.c.Close()
}

// StartCyrus starts the real Cyrus 3.6.1 (cyrus-ref) in a fresh
// directory with the options (imapd.conf keys) and without TLS; it is
// stopped at the end of t. It skips when cyrus-ref is missing or cannot
// run (not root). Ports are chosen free, and chosen again when another
// process took one in the meantime.
func StartCyrus(t testing.TB, opts map[string]string) Instance {
	t.Helper()
	return startCyrus(t, opts, false)
}

// startCyrus is StartCyrus, with cyrus-ref's self-signed certificate
// (STARTTLS offered) when withTLS is set.
func startCyrus(t testing.TB, opts map[string]string, withTLS bool) Instance {
	t.Helper()
	var kv []string
	for k, v := range opts {
		kv = append(kv, k+"="+v)
	}
	o := harness.StartOracle(t, harness.OracleOptions{Opts: kv, NoTLS: !withTLS})
	r := &running{dir: o.Dir, ports: map[string]string{}}
	for _, p := range []string{"imap", "pop3", "lmtp", "sieve", "sync"} {
		r.ports[p] = strconv.Itoa(o.Port(p))
	}
	r.users.addr = r.Addr("imap")
	r.users.unixsep = truthy(opts["unixhierarchysep"])
	return r
}

// CyrusAt is a cyrus-ref instance that is already running in dir (for
// playing scripts while writing them). Users are deleted and created
// again by CreateUser.
func CyrusAt(dir string) (Instance, error) {
	b, err := os.ReadFile(filepath.Join(dir, "etc", "ports.env"))
	if err != nil {
		return nil, err
	}
	ports := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok {
			ports[strings.ToLower(strings.TrimSuffix(k, "_PORT"))] = v
		}
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "etc", "imapd.conf"))
	m := regexp.MustCompile(`(?m)^unixhierarchysep:\s*(\S+)`).FindSubmatch(conf)
	c := &running{dir: dir, ports: ports}
	c.users.addr = c.Addr("imap")
	c.users.reset = true
	c.users.unixsep = m != nil && truthy(string(m[1]))
	return c, nil
}

// running is a cyrus-ref instance, started here or found running.
type running struct {
	dir   string
	ports map[string]string
	users
}

func (r *running) Name() string { return "cyrus" }
func (r *running) Addr(proto string) string {
	return net.JoinHostPort("127.0.0.1", r.ports[proto])
}
func (r *running) CreateUser(u User) error { return cyrusUser(r.dir, &r.users, u) }

// cyrusUser stores the SASL secret with Cyrus's own saslpasswd2, as the
// cyrus user, in the realm cyrus-ref uses (the domain of alice@domain,
// else the servername), then creates the INBOX.
func cyrusUser(dir string, us *users, u User) error {
	if err := cyrusSecret(dir, us, u); err != nil {
		return err
	}
	return us.createInbox(u.Name)
}

// cyrusSecret stores the SASL secret only (no INBOX).
func cyrusSecret(dir string, us *users, u User) error {
	local, realm, ok := strings.Cut(u.Name, "@")
	if !ok {
		realm = "localhost"
	}
	cu, err := user.Lookup("cyrus")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(cu.Uid)
	gid, _ := strconv.Atoi(cu.Gid)
	us.mu.Lock()
	cmd := exec.Command("/usr/sbin/saslpasswd2", "-p", "-c", "-f", filepath.Join(dir, "etc", "sasldb2"), "-u", realm, local)
	cmd.Stdin = strings.NewReader(u.Password)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	us.mu.Unlock()
	if err != nil {
		return fmt.Errorf("saslpasswd2 %s: %v: %s", u.Name, err, out)
	}
	return nil
}

// gyrus is a private Gyrus instance from the harness.
type gyrus struct {
	*harness.Instance
	users
}

// gyrusAllowLog are log lines the scripts provoke on purpose (failed
// logins, refused commands) that the harness would take for errors.
var gyrusAllowLog = []string{`(?i)badlogin`, `(?i)login.*fail`, `(?i)auth.*fail`}

// StartGyrus starts a Gyrus instance (master with imapd, and lmtpd when
// it builds) with the options and cyrus as the admin, or skips the test
// when imapd does not exist in the tree yet. Without lmtpd, the scripts'
// lmtp steps fail with "connection refused" and show as differences.
func StartGyrus(t testing.TB, opts map[string]string) Instance {
	t.Helper()
	if !harness.Have(t, "imapd") {
		t.Skip("cmd/imapd does not exist (or does not build) yet: nothing to compare with the recorded Cyrus transcripts")
	}
	harness.Bin(t, "saslpasswd2")
	conf := map[string]string{"admins": AdminUser}
	for k, v := range opts {
		conf[k] = v
	}
	// Only the services the scripts use: fewer programs to build.
	services := "SERVICES {\n  imap cmd=\"imapd -C {conf}\" listen=\"127.0.0.1:{port:imap}\" prefork=1\n"
	if harness.Have(t, "lmtpd") {
		services += "  lmtp cmd=\"lmtpd -a -C {conf}\" listen=\"127.0.0.1:{port:lmtp}\" prefork=0\n"
	}
	services += "}\n"
	g := &gyrus{}
	in := harness.New(t, harness.Options{CyrusConf: services, IMAPDConf: conf, Store: realmStore{}, AllowLog: gyrusAllowLog})
	in.Start()
	g.Instance = in
	g.users.addr = in.Addr("imap")
	g.users.unixsep = truthy(opts["unixhierarchysep"])
	in.AddUser(t, AdminUser, AdminPassword)
	return g
}

// Addr implements Target (the harness names the IMAP service "imap" and
// the LMTP one "lmtp", as cyrus-ref does).
func (g *gyrus) Addr(proto string) string { return g.Instance.Addr(proto) }

// CreateUser implements Instance.
func (g *gyrus) CreateUser(u User) error {
	g.users.mu.Lock()
	err := realmStore{}.AddUser(g.Instance, u.Name, u.Password)
	g.users.mu.Unlock()
	if err != nil {
		return err
	}
	return g.users.createInbox(u.Name)
}

// realmStore stores secrets with Gyrus's saslpasswd2 in the realm
// cyrus-ref would use: the domain of alice@domain, else localhost.
type realmStore struct{}

// AddUser implements harness.UserStore.
func (realmStore) AddUser(in *harness.Instance, name, password string) error {
	local, realm, ok := strings.Cut(name, "@")
	if !ok {
		realm = "localhost"
	}
	p, err := in.Program("saslpasswd2")
	if err != nil {
		return err
	}
	cmd := exec.Command(p, "-p", "-c", "-f", filepath.Join(in.Dir, "etc", "sasldb2"), "-u", realm, local)
	cmd.Stdin = strings.NewReader(password)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("saslpasswd2 %s: %v: %s", name, err, out)
	}
	return nil
}
