package common

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"gyrus/test/harness"
)

// Server is one running mail server under test.
type Server struct {
	Name string // "gyrus", "cyrus" or "dovecot"
	Dir  string // its instance directory

	addrs   map[string]string
	master  func() int
	addUser func(user, password string) error
	stop    func() error

	mu       sync.Mutex
	seen     map[int]bool
	stopped  bool
	stopErr  error
	problems func() []string
}

// Addr returns "127.0.0.1:port" of "imap", "pop3" or "lmtp" ("" if the
// server does not offer it).
func (s *Server) Addr(proto string) string { return s.addrs[proto] }

// AddUser creates a user with a password and an empty INBOX.
func (s *Server) AddUser(user, password string) error {
	if err := s.addUser(user, password); err != nil {
		return fmt.Errorf("%s: add user %s: %w", s.Name, user, err)
	}
	return nil
}

// MasterPID is the pid of the server's master process (0 if none).
func (s *Server) MasterPID() int { return s.master() }

// PIDs returns the master and all its live descendants, and remembers
// them for the leftover check at Stop.
func (s *Server) PIDs() []int {
	m := s.master()
	if m <= 0 {
		return nil
	}
	t := Tree(m)
	s.mu.Lock()
	for _, p := range t {
		s.seen[p] = true
	}
	s.mu.Unlock()
	return t
}

// Problems are the complaints collected about the server (for Gyrus:
// error lines in its log, processes left behind).
func (s *Server) Problems() []string {
	if s.problems == nil {
		return nil
	}
	return s.problems()
}

// Stop stops the server and checks by pid that master and every process
// seen under it are gone (killing those left after 15 s, which is an
// error). It is idempotent.
func (s *Server) Stop() error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return s.stopErr
	}
	s.stopped = true
	s.mu.Unlock()
	s.PIDs()
	err := s.stop()
	s.mu.Lock()
	var pids []int
	for p := range s.seen {
		pids = append(pids, p)
	}
	s.mu.Unlock()
	if left := WaitGone(pids, 15*time.Second); len(left) > 0 {
		e := fmt.Errorf("%s: processes left after stop (killed): %v", s.Name, left)
		if err == nil {
			err = e
		} else {
			err = fmt.Errorf("%w; %v", err, e)
		}
	}
	s.mu.Lock()
	s.stopErr = err
	s.mu.Unlock()
	return err
}

func newServer(name, dir string) *Server {
	return &Server{Name: name, Dir: dir, addrs: map[string]string{}, seen: map[int]bool{}}
}

// ---- Gyrus ---------------------------------------------------------------

// GyrusAdmin is the admin user (and password) of a Gyrus started here;
// it creates the users' INBOXes over IMAP as cyrus-ref's adduser does.
const (
	GyrusAdmin         = "admin"
	GyrusAdminPassword = "admin-pw"
)

// GyrusOptions configure StartGyrus.
type GyrusOptions struct {
	// CyrusConf is a harness cyrus.conf template; "" = the harness's
	// default (IMAP, POP3, LMTP, sieve for the programs that build).
	// The "imap" service must be in it (users are created over IMAP).
	CyrusConf string
	// IMAPDConf adds or overrides imapd.conf keys.
	IMAPDConf map[string]string
}

var binOnce sync.Once

// StartGyrus builds Gyrus (through gyrus/test/harness) and starts a
// private master under base. Addr knows "imap", "pop3" and "lmtp".
func StartGyrus(base string, o GyrusOptions) (*Server, error) {
	tb := NewTB("gyrus", base)
	s := newServer("gyrus", "")
	var in *harness.Instance
	s.master = func() int {
		if in == nil {
			return 0
		}
		if done, _ := in.Exited(); done {
			return 0
		}
		return in.PID()
	}
	s.stop = func() error {
		tb.RunCleanups() // the harness's stop, leftover and log checks
		return nil
	}
	s.problems = tb.Problems
	OnExit(func() { s.Stop() })
	err := tb.Catch(func() {
		bin := harness.BinDir(tb)
		binOnce.Do(func() { OnExit(func() { os.RemoveAll(bin) }) })
		harness.Bin(tb, "saslpasswd2")
		conf := map[string]string{"admins": GyrusAdmin}
		for k, v := range o.IMAPDConf {
			conf[k] = v
		}
		// one log file (master.log), as Dovecot writes one and Cyrus's
		// syslog(3) at most one
		in = harness.New(tb, harness.Options{CyrusConf: o.CyrusConf, IMAPDConf: conf, StartTimeout: time.Minute, NoSyslogFile: true})
		// the harness writes sasl_sasldb_path (etc/sasldb2 of the instance)
		in.Start()
		s.Dir = in.Dir
		cc, _ := os.ReadFile(in.CyrusConf)
		for _, p := range []string{"imap", "pop3", "lmtp"} {
			// only the services the cyrus.conf has (Addr would pick a
			// fresh port for any name)
			if a := in.Addr(p); strings.Contains(string(cc), `"`+a+`"`) {
				s.addrs[p] = a
			}
		}
		in.AddUser(tb, GyrusAdmin, GyrusAdminPassword)
	})
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("gyrus: start: %w", err)
	}
	s.addUser = func(user, password string) error {
		if err := tb.Catch(func() { in.AddUser(tb, user, password) }); err != nil {
			return err
		}
		return imapAdmin(s.addrs["imap"], GyrusAdmin, GyrusAdminPassword, "CREATE user."+user)
	}
	s.PIDs()
	return s, nil
}

// imapAdmin logs in to an IMAP server and runs commands that must
// answer OK (no literals in the answers).
func imapAdmin(addr, user, password string, cmds ...string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "* OK") {
		return fmt.Errorf("greeting %q: %v", l, err)
	}
	all := append([]string{"LOGIN " + user + " " + password}, cmds...)
	all = append(all, "LOGOUT")
	for i, cmd := range all {
		tag := "x" + strconv.Itoa(i)
		if _, err := fmt.Fprintf(c, "%s %s\r\n", tag, cmd); err != nil {
			return err
		}
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("%s: %w", cmd, err)
			}
			if strings.HasPrefix(l, tag+" ") {
				if !strings.HasPrefix(l, tag+" OK") {
					return fmt.Errorf("%s: %s", cmd, strings.TrimSpace(l))
				}
				break
			}
		}
	}
	return nil
}

// ---- the real Cyrus and Dovecot -------------------------------------------

// OracleScript is the path of a script in ../shared/oracle (cyrus-ref,
// dovecot-ref).
func OracleScript(name string) string {
	return filepath.Join(filepath.Dir(harness.ModuleRoot()), "shared", "oracle", name)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func runScript(script string, args ...string) error {
	out, err := exec.Command(script, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", filepath.Base(script), args[0], err, out)
	}
	return nil
}

// startRef starts a reference server with its script on free ports for
// protos (flag --proto PORT), after registering its stop.
func startRef(name, script, dir string, protos []string, extra []string, prepare func() error) (*Server, error) {
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%s: %s needs root", name, filepath.Base(script))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o755)
	if prepare != nil {
		if err := prepare(); err != nil {
			return nil, err
		}
	}
	s := newServer(name, dir)
	args := []string{"start", dir}
	for _, p := range protos {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		args = append(args, "--"+p, strconv.Itoa(port))
		s.addrs[p] = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	args = append(args, extra...)
	pidPath := filepath.Join(dir, "run", "master.pid")
	s.master = func() int {
		pid, err := pidFile(pidPath)
		if err != nil || !Alive(pid) {
			return 0
		}
		return pid
	}
	started := false
	s.stop = func() error {
		if !started {
			return nil
		}
		return runScript(script, "stop", dir)
	}
	OnExit(func() { s.Stop() })
	started = true
	if err := runScript(script, args...); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s.addUser = func(user, password string) error {
		return runScript(script, "adduser", dir, user, password)
	}
	s.PIDs()
	return s, nil
}

// StartCyrus starts the real Cyrus 3.6.1 (cyrus-ref) in base/cyrus on
// free ports, with --opt key=value for each of opts.
func StartCyrus(base string, opts ...string) (*Server, error) {
	var extra []string
	for _, kv := range opts {
		extra = append(extra, "--opt", kv)
	}
	return startRef("cyrus", OracleScript("cyrus-ref"), filepath.Join(base, "cyrus"),
		[]string{"imap", "pop3", "lmtp", "sieve", "sync"}, extra, nil)
}

// StartDovecot starts the real Dovecot 2.3 (dovecot-ref) in
// base/dovecot on free ports, with localConf as DIR/etc/local.conf
// (included last by the generated dovecot.conf) and mail format
// ("" = the script's default, maildir).
func StartDovecot(base, localConf, mail string) (*Server, error) {
	dir := filepath.Join(base, "dovecot")
	var extra []string
	if mail != "" {
		extra = append(extra, "--mail", mail)
	}
	return startRef("dovecot", OracleScript("dovecot-ref"), dir,
		[]string{"imap", "pop3", "lmtp"}, extra, func() error {
			if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "etc", "local.conf"), []byte(localConf), 0o644)
		})
}
