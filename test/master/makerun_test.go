package master_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	re "regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gyrus/test/harness"
)

// makeRunBuildEnv makes TestMakeRun run plain `make run`, whose `make
// build` compiles every program of the tree (slow: a minute or more);
// by default the test builds only what run-dev starts and runs
// `make -o build run`.
const makeRunBuildEnv = "GYRUS_TEST_MAKE_RUN_BUILD"

// `make run` as a newcomer would try it, from a fresh clone: it starts,
// says where to connect, serves, stops cleanly on ^C, and a second run
// keeps the data.
func TestMakeRun(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := harness.ModuleRoot()
	clone := filepath.Join(t.TempDir(), "gyrus")
	if out, err := exec.Command("git", "clone", "-q", root, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	args := []string{"run"}
	if os.Getenv(makeRunBuildEnv) == "" {
		// What run-dev starts: master, saslpasswd2, and the services and
		// tools it puts in cyrus.conf when they exist.
		pkgs := []string{"./cmd/master"}
		for _, p := range []string{"saslpasswd2", "imapd", "pop3d", "lmtpd", "timsieved", "ctl_cyrusdb", "tls_prune"} {
			if _, err := os.Stat(filepath.Join(clone, "cmd", p)); err == nil {
				pkgs = append(pkgs, "./cmd/"+p)
			}
		}
		build := exec.Command("go", append([]string{"build", "-trimpath", "-o", "bin/"}, pkgs...)...)
		build.Dir = clone
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build in the clone: %v\n%s", err, out)
		}
		args = []string{"-o", "build", "run"}
	}
	ports := map[string]int{"IMAP": harness.FreePort(t), "POP3": harness.FreePort(t), "LMTP": harness.FreePort(t), "SIEVE": harness.FreePort(t)}
	env := os.Environ()
	for k, v := range ports {
		env = append(env, "GYRUS_"+k+"_PORT="+itoa(v))
	}

	first := runMake(t, clone, args, env)
	pw, err := os.ReadFile(filepath.Join(clone, "run", "demo-password"))
	haveSasl := err == nil
	if haveSasl && !strings.Contains(first.out(), "password "+strings.TrimSpace(string(pw))) {
		t.Errorf("demo password not printed:\n%s", first.out())
	}
	first.check(t, clone, ports)
	first.stop(t)
	conf := filepath.Join(clone, "run", "etc", "imapd.conf")
	f, _ := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("# my own edit\n")
	f.Close()

	second := runMake(t, clone, args, env)
	second.check(t, clone, ports)
	second.stop(t)
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "# my own edit") {
		t.Error("second run rewrote run/etc/imapd.conf")
	}
	if haveSasl {
		if pw2, _ := os.ReadFile(filepath.Join(clone, "run", "demo-password")); string(pw2) != string(pw) {
			t.Error("second run made a new demo password")
		}
	}
}

type makeRun struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	buf    strings.Builder
	master int
	done   chan error
}

func (r *makeRun) out() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

func runMake(t *testing.T, dir string, args, env []string) *makeRun {
	t.Helper()
	r := &makeRun{done: make(chan error, 1)}
	r.cmd = exec.Command("make", args...)
	r.cmd.Dir = dir
	r.cmd.Env = env
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	r.cmd.Stdout, r.cmd.Stderr = pw, pw
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL) })
	go func() {
		s := bufio.NewScanner(pr)
		for s.Scan() {
			r.mu.Lock()
			r.buf.WriteString(s.Text() + "\n")
			r.mu.Unlock()
		}
	}()
	go func() {
		r.done <- r.cmd.Wait()
		pw.Close()
	}()
	running := re.MustCompile(`Gyrus is running \(master pid (\d+)\)`)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		// the banner ends with the "logs below" line
		if m := running.FindStringSubmatch(r.out()); m != nil && strings.Contains(r.out(), "Ctrl-C stops everything") {
			r.master = atoi(m[1])
			return r
		}
		select {
		case err := <-r.done:
			t.Fatalf("make %v ended (%v) before master was ready:\n%s", args, err, r.out())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("make %v: no \"Gyrus is running\" after 5 minutes:\n%s", args, r.out())
		}
	}
}

// check: master runs, and every service run-dev announced answers.
func (r *makeRun) check(t *testing.T, dir string, ports map[string]int) {
	t.Helper()
	if !alive(r.master) {
		t.Fatalf("master %d is not running:\n%s", r.master, r.out())
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "master.ready")); err != nil {
		t.Errorf("no ready file: %v", err)
	}
	announced := 0
	for proto, port := range ports {
		line := re.MustCompile(`(?m)^  ` + proto + ` +127\.0\.0\.1:` + itoa(port) + `\b`)
		if !line.MatchString(r.out()) {
			continue
		}
		announced++
		c := harness.DialConn(t, "tcp", "127.0.0.1:"+itoa(port))
		greeting := map[string]string{"IMAP": `\* OK`, "POP3": `\+OK`, "LMTP": `220 `, "SIEVE": `"`}[proto]
		c.Expect(greeting)
		c.Close()
	}
	if announced == 0 {
		// No service program exists yet: master alone must be up.
		if !strings.Contains(r.out(), "not built yet, so not started: imapd") {
			t.Errorf("no service announced and none reported missing:\n%s", r.out())
		}
		t.Log("no service program is built yet: checked that master is up")
	}
}

// stop is ^C: SIGINT to make's process group, as a terminal sends it.
func (r *makeRun) stop(t *testing.T) {
	t.Helper()
	kids := childPIDs(r.master)
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("make run still running 30 s after ^C:\n%s", r.out())
	}
	for _, p := range append(kids, r.master) {
		if alive(p) {
			t.Errorf("process %d left after ^C", p)
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	if !strings.Contains(r.out(), "all_children_exited") {
		t.Errorf("master did not shut down cleanly:\n%s", r.out())
	}
}

func childPIDs(pid int) []int {
	var out []int
	des, _ := os.ReadDir("/proc")
	for _, d := range des {
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == itoa(pid) {
			out = append(out, atoi(d.Name()))
		}
	}
	return out
}
