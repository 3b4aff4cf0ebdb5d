package master_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gyrus/test/harness"
)

// START entries run in order, each to completion, before anything else
// starts; EX_TEMPFAIL (75) is tolerated; a failure stops master.
func TestStart(t *testing.T) {
	in := harness.Start(t, harness.Options{CyrusConf: `
START {
  one   cmd="{bin}/testservice event -record {dir}/rec -name one"
  two   cmd="{bin}/testservice event -record {dir}/rec -name two -exit 75"
  three cmd="{bin}/testservice event -record {dir}/rec -name three"
}
DAEMON {
  d cmd="{bin}/testservice daemon -record {dir}/rec -name d"
}`})
	rec := filepath.Join(in.Dir, "rec")
	in.WaitFor(5*time.Second, "daemon start", func() bool { return len(records(rec, "d start")) == 1 })
	b, _ := os.ReadFile(rec)
	var order []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		order = append(order, strings.Fields(l)[0])
	}
	if got := strings.Join(order, " "); got != "one two three d" {
		t.Errorf("start order %q, want \"one two three d\"", got)
	}

	bad := harness.New(t, harness.Options{
		CyrusConf: `
START {
  ok   cmd="{bin}/testservice event"
  boom cmd="{bin}/testservice event -exit 1"
}
SERVICES {
  gy cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:gy}"
}`,
		NoWait:   true,
		AllowLog: []string{`child_exited_failure`, `can't run startup`},
	})
	bad.Start()
	code, err := bad.WaitExit(10 * time.Second)
	if err != nil || code != 1 {
		t.Fatalf("master with a failing START: exit %d, %v; want 1", code, err)
	}
	if !strings.Contains(bad.Log(), "can't run startup") {
		t.Errorf("no \"can't run startup\" in the log:\n%s", bad.Log())
	}
}

// DAEMON entries: wait=y ones start first, one by one, and master is
// ready only after each wrote "ok\r\n" on fd 3; they stop last, in
// reverse order, after the other children.
func TestDaemons(t *testing.T) {
	in := harness.Start(t, harness.Options{CyrusConf: `
SERVICES {
  gy cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:gy}" prefork=1
}
DAEMON {
  w1 cmd="{bin}/testservice daemon -wait ok -record {dir}/rec -name w1" wait=y
  plain cmd="{bin}/testservice daemon -record {dir}/rec -name plain"
  w2 cmd="{bin}/testservice daemon -wait ok -record {dir}/rec -name w2" wait=y
}`})
	rec := filepath.Join(in.Dir, "rec")
	for _, n := range []string{"w1", "w2"} {
		r := records(rec, n+" start")
		if len(r) != 1 {
			t.Fatalf("%s started %d times before master was ready", n, len(r))
		}
		if fds := field(r[0], "fds"); fds != "0,1,2,3" {
			t.Errorf("%s descriptors %s, want 0,1,2,3", n, fds)
		}
		if field(r[0], "isdaemon") != "1" || field(r[0], "service") != n {
			t.Errorf("%s environment: %s", n, r[0])
		}
	}
	in.WaitFor(5*time.Second, "plain daemon", func() bool { return len(records(rec, "plain start")) == 1 })
	if fds := field(records(rec, "plain start")[0], "fds"); fds != "0,1,2" {
		t.Errorf("daemon descriptors %s, want 0,1,2", fds)
	}
	if code := in.Stop(); code != 0 {
		t.Errorf("master exit %d", code)
	}
	var stops []string
	for _, l := range records(rec, "") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == "stop" {
			stops = append(stops, f[0])
		}
	}
	if got := strings.Join(stops, " "); got != "plain w2 w1" {
		t.Errorf("stop order %q, want \"plain w2 w1\"", got)
	}

	bad := harness.New(t, harness.Options{
		CyrusConf: `
DAEMON {
  w cmd="{bin}/testservice daemon -wait bad" wait=y
}`,
		NoWait:   true,
		AllowLog: []string{`waitdaemon_ready_failed`, `unable to spawn waitdaemon`},
	})
	bad.Start()
	if code, err := bad.WaitExit(10 * time.Second); err != nil || code != 78 {
		t.Errorf("wait=y daemon answering \"no\": exit %d, %v; want 78", code, err)
	}
}

// A second master on the same pid file refuses to run.
func TestPidFileLock(t *testing.T) {
	in := harness.Start(t, harness.Options{CyrusConf: "SERVICES {\n}\n"})
	pid, err := os.ReadFile(in.PIDFile)
	if err != nil || strings.TrimSpace(string(pid)) != itoa(in.PID()) {
		t.Errorf("pid file holds %q, %v; want %d", pid, err, in.PID())
	}
	cmd := exec.Command(filepath.Join(in.Bin, "master"), "-D", "-C", in.IMAPDConf, "-M", in.CyrusConf, "-p", in.PIDFile)
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 71 {
		t.Fatalf("second master: %v, want exit 71 (EX_OSERR)\n%s", err, out)
	}
	if !strings.Contains(string(out), "cannot get exclusive lock on pidfile (is another master still running?)") {
		t.Errorf("second master said:\n%s", out)
	}
	if ok, _ := in.Exited(); ok {
		t.Error("the first master died")
	}
}

// Bad configuration exits 78 before anything starts, naming file and line.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		conf, want string
	}{
		{"SERVICES {\n  ok cmd=\"{bin}/testservice\" listen=\"127.0.0.1:{port:a}\"\n  bad-name cmd=x listen=1\n}\n", "cyrus.conf:3: bad character '-' in name"},
		{"SERVICES {\n  x cmd=\"{bin}/testservice\"\n}\n", "cyrus.conf:2: unable to find command or port for service 'x'"},
		{"SERVICES {\n  x cmd=\"/nonexistent/prog\" listen=\"127.0.0.1:{port:a}\"\n}\n", "cannot find executable for service 'x'"},
		{"SERVICES {\n  x cmd=\"{bin}/testservice\" listen=1\n}\nDAEMON {\n  x cmd=\"{bin}/testservice\"\n}\n", "cyrus.conf:5: multiple entries for service 'x'"},
	} {
		in := harness.New(t, harness.Options{CyrusConf: tc.conf, NoWait: true, AllowLog: []string{"."}})
		in.Start()
		code, err := in.WaitExit(10 * time.Second)
		if err != nil || code != 78 {
			t.Errorf("%q: exit %d, %v; want 78", tc.conf, code, err)
		}
		if !strings.Contains(in.Log(), tc.want) {
			t.Errorf("log lacks %q:\n%s", tc.want, in.Log())
		}
	}
}

// -d: the launcher returns once the background master holds the pid
// file; -V prints the version.
func TestDaemonModeAndVersion(t *testing.T) {
	bin := harness.Bin(t, "master")
	out, err := exec.Command(bin, "-V").Output()
	if err != nil || !strings.HasPrefix(string(out), "gyrus ") {
		t.Errorf("master -V: %q, %v", out, err)
	}

	in := harness.New(t, harness.Options{CyrusConf: `
SERVICES {
  gy cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:gy}" prefork=1
}`})
	logFile := filepath.Join(in.Dir, "log", "daemon.log")
	cmd := exec.Command(bin, "-d", "-L", logFile, "-C", in.IMAPDConf, "-M", in.CyrusConf, "-p", in.PIDFile, "-r", in.ReadyFile)
	cmd.Env = append(os.Environ(), "CASSANDANE_SYSLOG_FNAME="+in.SyslogFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("master -d: %v\n%s", err, out)
	}
	b, err := os.ReadFile(in.PIDFile)
	pid := atoi(string(b))
	if err != nil || pid <= 0 || !alive(pid) {
		t.Fatalf("pid file %q, %v: no background master", b, err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if _, err := os.Stat(in.PIDFile + ".lock"); !os.IsNotExist(err) {
		t.Errorf("pidfile.lock left behind: %v", err)
	}
	harness.WaitFile(t, in.ReadyFile, 10*time.Second)
	c := in.Dial(t, "gy")
	c.Expect(`\* OK testservice gyrus`)
	c.Close()
	syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		t.Fatal("background master did not stop on SIGTERM")
	}
	if _, err := os.Stat(in.ReadyFile); !os.IsNotExist(err) {
		t.Errorf("ready file left after shutdown: %v", err)
	}
}
