package harness

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gyrus/lib/config/cyrusconf"
)

// Options configure an instance.
type Options struct {
	// CyrusConf is the cyrus.conf template (see the package comment);
	// "" means DefaultCyrusConf: IMAP, POP3, LMTP and ManageSieve for
	// the programs that exist.
	CyrusConf string
	// IMAPDConf adds or overrides imapd.conf keys.
	IMAPDConf map[string]string
	// Env is added to master's environment.
	Env []string
	// MasterArgs are added to master's command line.
	MasterArgs []string
	// Users are created after start (see Options.Store).
	Users map[string]string
	// Store adds users; nil means SaslStore.
	Store UserStore
	// AllowLog are log lines (regular expressions) that are expected
	// even though ErrorLine says they are errors.
	AllowLog []string
	// NoWait: do not wait for the ready file (tests of start-up
	// failures); Start returns once master is running or has exited.
	NoWait bool
	// StartTimeout bounds the wait for the ready file (default 30 s).
	StartTimeout time.Duration
	// NoSyslogFile leaves $CASSANDANE_SYSLOG_FNAME unset: the processes
	// log to the syslog socket and master's stderr (master.log) only, as
	// under a daemon, one file write per line instead of two. The
	// benchmarks use it (Cyrus and Dovecot write at most one log file
	// there); SyslogFile then stays empty.
	NoSyslogFile bool
}

// Instance is a running private Gyrus.
type Instance struct {
	t    testing.TB
	opts Options

	Dir        string // the instance directory
	Bin        string // the built programs
	IMAPDConf  string // path of imapd.conf
	CyrusConf  string // path of cyrus.conf
	ConfigDir  string // configdirectory
	Spool      string // partition-default
	Run        string // run/: pid file, ready file, sockets
	PIDFile    string
	ReadyFile  string
	SyslogFile string // log lines of every process
	MasterLog  string // master's stdout and stderr

	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error

	mu       sync.Mutex
	ports    map[string]int
	seenPIDs map[int]string // every descendant of master seen, with its command line
	stopped  bool
	allow    []*regexp.Regexp
}

// Error lines. Package log writes no level on stderr, so the event name
// decides: a line "ident[pid]: event: key=value ..." is an error when its
// event names one (errorEvent). Go runtime crashes and the race detector
// are errors too.
var (
	errorEvent = regexp.MustCompile(`(?i)(panic|fatal|error|failed|failure|abnormally|signaled_to_death|disabled|IOERROR|DBERROR|SYNCERROR)`)
	crashLine  = regexp.MustCompile(`^(panic: |fatal error: |WARNING: DATA RACE)`)
	logLine    = regexp.MustCompile(`^[^\s\[\]]+\[\d+\]: (\S+?):?(\s|$)`)
)

// ErrorLine reports whether a log line is an error.
func ErrorLine(line string) bool {
	if crashLine.MatchString(line) {
		return true
	}
	m := logLine.FindStringSubmatch(line)
	return m != nil && errorEvent.MatchString(m[1])
}

// Start starts an instance and registers its stop and checks with
// t.Cleanup.
func Start(t testing.TB, o Options) *Instance {
	t.Helper()
	in := New(t, o)
	in.Start()
	return in
}

// New prepares an instance (directories, configuration) without
// starting it; Start starts it.
func New(t testing.TB, o Options) *Instance {
	t.Helper()
	bin := BinDir(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	in := &Instance{
		t: t, opts: o, Dir: dir, Bin: bin,
		IMAPDConf:  filepath.Join(dir, "etc", "imapd.conf"),
		CyrusConf:  filepath.Join(dir, "etc", "cyrus.conf"),
		ConfigDir:  filepath.Join(dir, "lib"),
		Spool:      filepath.Join(dir, "spool"),
		Run:        filepath.Join(dir, "run"),
		SyslogFile: filepath.Join(dir, "log", "syslog"),
		MasterLog:  filepath.Join(dir, "log", "master.log"),
		ports:      map[string]int{},
		seenPIDs:   map[int]string{},
	}
	in.PIDFile = filepath.Join(in.Run, "master.pid")
	in.ReadyFile = filepath.Join(in.Run, "master.ready")
	for _, d := range []string{"etc", "lib", "lib/proc", "lib/socket", "spool", "run", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range o.AllowLog {
		in.allow = append(in.allow, regexp.MustCompile(a))
	}
	in.writeIMAPDConf()
	tmpl := o.CyrusConf
	if tmpl == "" {
		tmpl = DefaultCyrusConf(t)
	}
	in.WriteCyrusConf(tmpl)
	return in
}

// buildPrograms builds the programs the current cyrus.conf names: those
// given as {bin}/name and those given by a bare name (master looks for
// them next to itself).
func (in *Instance) buildPrograms() {
	in.t.Helper()
	b, err := os.ReadFile(in.CyrusConf)
	if err != nil {
		in.t.Fatal(err)
	}
	cfg, err := cyrusconf.Parse(in.CyrusConf, b)
	if err != nil {
		return // master will report it
	}
	var cmds [][]string
	for _, s := range cfg.Start {
		cmds = append(cmds, s.Cmd)
	}
	for _, s := range cfg.Services {
		cmds = append(cmds, s.Cmd)
	}
	for _, s := range cfg.Events {
		cmds = append(cmds, s.Cmd)
	}
	for _, s := range cfg.Daemons {
		cmds = append(cmds, s.Cmd)
	}
	var names []string
	for _, c := range cmds {
		p := c[0]
		switch {
		case strings.HasPrefix(p, in.Bin+"/"):
			names = append(names, strings.TrimPrefix(p, in.Bin+"/"))
		case !strings.Contains(p, "/"):
			names = append(names, p)
		}
	}
	ensureAll(names...)
	for _, n := range names {
		ensure(n)
	}
}

func (in *Instance) writeIMAPDConf() {
	u, _ := user.Current()
	name := "root"
	if u != nil {
		name = u.Username
	}
	keys := map[string]string{
		"configdirectory":     in.ConfigDir,
		"partition-default":   in.Spool,
		"cyrus_user":          name,
		"servername":          "localhost",
		"admins":              "admin",
		"sasl_pwcheck_method": "auxprop",
		"sasl_mech_list":      "PLAIN LOGIN",
		"allowplaintext":      "yes",
		"altnamespace":        "no",
		"unixhierarchysep":    "no",
		"hashimapspool":       "yes",
		"sasl_sasldb_path":    filepath.Join(in.Dir, "etc", "sasldb2"),
		"lmtpsocket":          filepath.Join(in.Run, "lmtp"),
		"sievedir":            filepath.Join(in.Dir, "sieve"),
		"master_pid_file":     in.PIDFile,
		"master_ready_file":   in.ReadyFile,
	}
	for k, v := range in.opts.IMAPDConf {
		keys[k] = v
	}
	var b strings.Builder
	b.WriteString("# written by gyrus/test/harness\n")
	ks := make([]string, 0, len(keys))
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		if keys[k] != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, keys[k])
		}
	}
	if err := os.WriteFile(in.IMAPDConf, []byte(b.String()), 0o644); err != nil {
		in.t.Fatal(err)
	}
}

var placeholder = regexp.MustCompile(`\{(bin|conf|dir|run|port:[A-Za-z0-9_.-]+)\}`)

// Expand fills a template's placeholders (see the package comment).
func (in *Instance) Expand(tmpl string) string {
	return placeholder.ReplaceAllStringFunc(tmpl, func(p string) string {
		p = p[1 : len(p)-1]
		switch {
		case p == "bin":
			return in.Bin
		case p == "conf":
			return in.IMAPDConf
		case p == "dir":
			return in.Dir
		case p == "run":
			return in.Run
		}
		return strconv.Itoa(in.Port(strings.TrimPrefix(p, "port:")))
	})
}

// WriteCyrusConf expands a template into cyrus.conf (call Reload to make
// a running master read it).
func (in *Instance) WriteCyrusConf(tmpl string) {
	if err := os.WriteFile(in.CyrusConf, []byte(in.Expand(tmpl)), 0o644); err != nil {
		in.t.Fatal(err)
	}
}

// Port returns the loopback port named name, choosing a free one the
// first time.
func (in *Instance) Port(name string) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if p, ok := in.ports[name]; ok {
		return p
	}
	p := FreePort(in.t)
	in.ports[name] = p
	return p
}

// Addr returns "127.0.0.1:<port of name>".
func (in *Instance) Addr(name string) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(in.Port(name)))
}

// FreePort returns a TCP port free on 127.0.0.1 right now and reserved
// for t until its end. The kernel's "free" alone is not enough: between
// this call and the server's bind, a test of another package (go test runs
// several at once) can be handed the same port by its own FreePort, and
// one of the two servers never listens. So each port is also claimed with
// an flock on a file named after it in a directory every test process
// shares; a port another process (or test) holds is skipped. The lock
// goes with the test's cleanup, or with the process if it dies.
func FreePort(t testing.TB) int {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "gyrus-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatalf("free port: %v", err)
	}
	os.Chmod(dir, os.ModeSticky|0o777) // every user's tests share it, as /tmp (harmless failure when not ours)
	for attempt := 0; attempt < 100; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		// read-only: flock needs no more, and another user's file opens so too
		f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_RDONLY|os.O_CREATE, 0o644)
		if err != nil {
			l.Close()
			t.Fatalf("free port: %v", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			// claimed by another test that has not bound it yet
			f.Close()
			l.Close()
			continue
		}
		l.Close()
		t.Cleanup(func() { f.Close() })
		return port
	}
	t.Fatalf("free port: no unclaimed port in 100 tries")
	return 0
}

// Start starts master and waits for its ready file.
func (in *Instance) Start() {
	t := in.t
	t.Helper()
	in.buildPrograms()
	logf, err := os.OpenFile(in.MasterLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-D", "-C", in.IMAPDConf, "-M", in.CyrusConf, "-p", in.PIDFile, "-r", in.ReadyFile}, in.opts.MasterArgs...)
	cmd := exec.Command(filepath.Join(in.Bin, "master"), args...)
	cmd.Dir = in.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = os.Environ()
	if !in.opts.NoSyslogFile {
		cmd.Env = append(cmd.Env, "CASSANDANE_SYSLOG_FNAME="+in.SyslogFile)
	}
	cmd.Env = append(cmd.Env, in.opts.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	os.Remove(in.ReadyFile)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start master: %v", err)
	}
	logf.Close()
	in.cmd = cmd
	in.stopped = false
	in.exited = make(chan struct{})
	go func() {
		in.exitErr = cmd.Wait()
		close(in.exited)
	}()
	t.Cleanup(in.cleanup)
	if in.opts.NoWait {
		return
	}
	timeout := in.opts.StartTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(in.ReadyFile); err == nil {
			in.snapshotChildren()
			break
		}
		select {
		case <-in.exited:
			t.Fatalf("master exited during start-up (%v); log:\n%s", in.exitErr, in.Log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("master not ready after %v; log:\n%s", timeout, in.Log())
		}
	}
	if len(in.opts.Users) > 0 {
		for u, p := range in.opts.Users {
			in.AddUser(t, u, p)
		}
	}
}

// PID is master's pid.
func (in *Instance) PID() int { return in.cmd.Process.Pid }

// Exited reports whether master has exited, and its status.
func (in *Instance) Exited() (bool, int) {
	select {
	case <-in.exited:
		return true, in.cmd.ProcessState.ExitCode()
	default:
		return false, 0
	}
}

// WaitExit waits for master to exit and returns its exit status.
func (in *Instance) WaitExit(timeout time.Duration) (int, error) {
	select {
	case <-in.exited:
		return in.cmd.ProcessState.ExitCode(), nil
	case <-time.After(timeout):
		return -1, fmt.Errorf("master still running after %v", timeout)
	}
}

// Signal sends a signal to master.
func (in *Instance) Signal(sig syscall.Signal) {
	in.snapshotChildren()
	if err := in.cmd.Process.Signal(sig); err != nil {
		in.t.Errorf("signal master: %v", err)
	}
}

// Reload writes a new cyrus.conf from a template (when not "") and sends
// SIGHUP, then waits until master has reread it.
func (in *Instance) Reload(tmpl string) {
	in.t.Helper()
	if tmpl != "" {
		in.WriteCyrusConf(tmpl)
		in.buildPrograms()
	}
	before := strings.Count(in.Log(), "services_reconfigured")
	in.Signal(syscall.SIGHUP)
	in.WaitFor(10*time.Second, "master to reload", func() bool {
		return strings.Count(in.Log(), "services_reconfigured") > before
	})
}

// Stop shuts master down (SIGTERM) and waits for it; it returns master's
// exit status. The leftover check still runs at cleanup.
func (in *Instance) Stop() int {
	in.t.Helper()
	if ok, code := in.Exited(); ok {
		return code
	}
	in.Signal(syscall.SIGTERM)
	code, err := in.WaitExit(30 * time.Second)
	if err != nil {
		in.t.Errorf("stop: %v; log:\n%s", err, in.Log())
		syscall.Kill(-in.PID(), syscall.SIGKILL)
		code, _ = in.WaitExit(5 * time.Second)
	}
	return code
}

func (in *Instance) cleanup() {
	t := in.t
	in.mu.Lock()
	if in.stopped {
		in.mu.Unlock()
		return
	}
	in.stopped = true
	in.mu.Unlock()
	if ok, _ := in.Exited(); !ok {
		in.snapshotChildren()
		in.cmd.Process.Signal(syscall.SIGTERM)
		if _, err := in.WaitExit(30 * time.Second); err != nil {
			t.Errorf("harness: master did not stop on SIGTERM; killing it")
			syscall.Kill(-in.PID(), syscall.SIGKILL)
			in.WaitExit(5 * time.Second)
		}
	}
	in.checkLeftovers()
	in.checkLog()
}

// WaitFor polls cond until it holds, failing the test after timeout.
func (in *Instance) WaitFor(timeout time.Duration, what string, cond func() bool) {
	in.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			in.t.Fatalf("timed out after %v waiting for %s; log:\n%s", timeout, what, in.LogTail(60))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---- processes ---------------------------------------------------------------

// Children returns master's live child processes.
func (in *Instance) Children() []int {
	if ok, _ := in.Exited(); ok {
		return nil
	}
	kids := childrenOf(in.PID())
	in.mu.Lock()
	for _, k := range kids {
		in.seenPIDs[k] = cmdline(k)
	}
	in.mu.Unlock()
	return kids
}

// snapshotChildren remembers every descendant of master, so that the
// leftover check knows them after master is gone.
func (in *Instance) snapshotChildren() {
	if in.cmd == nil || in.cmd.Process == nil {
		return
	}
	var walk func(pid int)
	walk = func(pid int) {
		for _, k := range childrenOf(pid) {
			in.mu.Lock()
			in.seenPIDs[k] = cmdline(k)
			in.mu.Unlock()
			walk(k)
		}
	}
	walk(in.PID())
}

// checkLeftovers fails the test if a process master started, or any
// process whose command line names this instance, still runs.
func (in *Instance) checkLeftovers() {
	var left []string
	deadline := time.Now().Add(3 * time.Second)
	for {
		left = left[:0]
		in.mu.Lock()
		for pid, cl := range in.seenPIDs {
			if alive(pid) && cmdline(pid) == cl {
				left = append(left, fmt.Sprintf("%d %s", pid, cl))
			}
		}
		in.mu.Unlock()
		for _, pid := range allPIDs() {
			if cl := cmdline(pid); strings.Contains(cl, in.Dir) && pid != os.Getpid() {
				if _, seen := in.seenPIDs[pid]; !seen {
					left = append(left, fmt.Sprintf("%d %s", pid, cl))
				}
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		in.t.Errorf("harness: processes left after master exited:\n%s", strings.Join(left, "\n"))
		for _, l := range left {
			if pid, err := strconv.Atoi(strings.Fields(l)[0]); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// a zombie is not a leftover of ours once reaped by init; report
	// it only while it is not
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

func cmdline(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

func allPIDs() []int {
	des, _ := os.ReadDir("/proc")
	var out []int
	for _, d := range des {
		if pid, err := strconv.Atoi(d.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	var out []int
	for _, p := range allPIDs() {
		if ppid, state := statOf(p); ppid == pid && state != "Z" {
			out = append(out, p)
		}
	}
	sort.Ints(out)
	return out
}

// Zombies lists the zombie children of pid.
func Zombies(pid int) []int {
	var out []int
	for _, p := range allPIDs() {
		if ppid, state := statOf(p); ppid == pid && state == "Z" {
			out = append(out, p)
		}
	}
	return out
}

func statOf(pid int) (ppid int, state string) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, ""
	}
	ppid, _ = strconv.Atoi(f[1])
	return ppid, f[0]
}

// FDCount counts the open descriptors of a process.
func FDCount(pid int) int {
	des, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return -1
	}
	return len(des)
}

// RSS returns a process's resident set size in KiB.
func RSS(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
	}
	return -1
}

// ---- log -----------------------------------------------------------------------

// Log returns everything logged so far: the syslog file, then master's
// stdout and stderr lines that are not already in it.
func (in *Instance) Log() string {
	a, _ := os.ReadFile(in.SyslogFile)
	b, _ := os.ReadFile(in.MasterLog)
	return string(a) + string(b)
}

// LogTail returns the last n lines of master.log.
func (in *Instance) LogTail(n int) string {
	b, _ := os.ReadFile(in.MasterLog)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// WaitLog waits for a log line matching re and returns it.
func (in *Instance) WaitLog(timeout time.Duration, re string) string {
	in.t.Helper()
	rx := regexp.MustCompile(re)
	var found string
	in.WaitFor(timeout, "log line "+re, func() bool {
		for _, l := range strings.Split(in.Log(), "\n") {
			if rx.MatchString(l) {
				found = l
				return true
			}
		}
		return false
	})
	return found
}

// Allow adds expected error lines for the rest of the test.
func (in *Instance) Allow(res ...string) {
	for _, r := range res {
		in.allow = append(in.allow, regexp.MustCompile(r))
	}
}

// ErrorLines returns the log lines that look like errors and are not
// allowed.
func (in *Instance) ErrorLines() []string {
	b, _ := os.ReadFile(in.MasterLog)
	var out []string
next:
	for _, l := range strings.Split(string(b), "\n") {
		if !ErrorLine(l) {
			continue
		}
		for _, a := range in.allow {
			if a.MatchString(l) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

func (in *Instance) checkLog() {
	if bad := in.ErrorLines(); len(bad) > 0 {
		in.t.Errorf("harness: unexpected error lines in the log (%s):\n%s", in.MasterLog, strings.Join(bad, "\n"))
	}
	// A Go crash or race report spans many lines: show them.
	b, _ := os.ReadFile(in.MasterLog)
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if crashLine.MatchString(l) {
			end := i + 60
			if end > len(lines) {
				end = len(lines)
			}
			in.t.Errorf("harness: %s\n%s", l, strings.Join(lines[i:end], "\n"))
			return
		}
	}
}

// ---- users -------------------------------------------------------------------

// UserStore creates users with a password.
type UserStore interface {
	AddUser(in *Instance, user, password string) error
}

// SaslStore uses the built saslpasswd2 on the instance's sasl_sasldb_path.
type SaslStore struct{}

// Program returns the path of a program in the instance's directory of
// programs, building it first if the harness builds them (they are built
// when first needed, and cyrus.conf need not name this one).
func (in *Instance) Program(name string) (string, error) {
	if in.Bin == buildDir {
		if err := ensure(name); err != nil {
			return "", err
		}
	}
	p := filepath.Join(in.Bin, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is not built", name)
	}
	return p, nil
}

// AddUser runs saslpasswd2 -p -c -f <sasldb> -u localhost user.
func (SaslStore) AddUser(in *Instance, user, password string) error {
	p, err := in.Program("saslpasswd2")
	if err != nil {
		return err
	}
	cmd := exec.Command(p, "-p", "-c", "-f", filepath.Join(in.Dir, "etc", "sasldb2"), "-u", "localhost", user)
	cmd.Stdin = strings.NewReader(password)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("saslpasswd2 %s: %v: %s", user, err, out)
	}
	return nil
}

// AddUser creates a user through Options.Store.
func (in *Instance) AddUser(t testing.TB, user, password string) {
	t.Helper()
	s := in.opts.Store
	if s == nil {
		s = SaslStore{}
	}
	if err := s.AddUser(in, user, password); err != nil {
		t.Fatalf("add user %s: %v", user, err)
	}
}
