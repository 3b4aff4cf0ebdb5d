package master_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gyrus/test/harness"
)

// lib/service behaviours, seen from outside.

// A panic ends its session, is logged with its stack, and the process
// goes on serving the others.
func TestSessionPanic(t *testing.T) {
	in := harness.Start(t, harness.Options{
		CyrusConf: `
SERVICES {
  gy cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:gy}" prefork=1
}`,
		AllowLog: []string{`session_panic`},
	})
	other := in.Dial(t, "gy")
	other.Expect(`\* OK`)
	pid := other.Line("PID")
	p := in.Dial(t, "gy")
	p.Expect(`\* OK`)
	p.Send("PANIC")
	p.ExpectClosed()
	if got := other.Line("PID"); got != pid {
		t.Fatalf("other session now in process %s, was %s", got, pid)
	}
	again := in.Dial(t, "gy")
	again.Expect(`\* OK`)
	if got := again.Line("PID"); got != pid {
		t.Errorf("process replaced after a panic: %s -> %s", pid, got)
	}
	line := in.WaitLog(5*time.Second, `session_panic`)
	if !regexp(line, `panic="testservice: PANIC command"`) || !regexp(line, `goroutine \d+`) {
		t.Errorf("panic log line lacks the value or the stack: %s", line)
	}
}

// -T: once it has served, an idle process leaves after T to 2T seconds
// and master keeps prefork.
func TestIdleTimeout(t *testing.T) {
	in := harness.Start(t, harness.Options{CyrusConf: `
SERVICES {
  gy cmd="{bin}/testservice -T 1 -C {conf}" listen="127.0.0.1:{port:gy}" prefork=1
}`})
	c := in.Dial(t, "gy")
	c.Expect(`\* OK`)
	pid := atoi(c.Line("PID"))
	time.Sleep(1500 * time.Millisecond)
	if !alive(pid) {
		t.Fatal("process with an open session left on -T")
	}
	c.Line("QUIT")
	start := time.Now()
	in.WaitFor(5*time.Second, "idle process to exit", func() bool { return !alive(pid) })
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("idle process left after %v, want at least 1 s", d)
	}
	in.WaitFor(5*time.Second, "a replacement", func() bool {
		p := servicePIDs(in, "gy")
		return len(p) == 1 && p[0] != pid
	})
}

// A process retires when its program file is replaced (an upgrade):
// sessions continue, new connections go to a process of the new file.
func TestExecutableReplaced(t *testing.T) {
	in := harness.New(t, harness.Options{CyrusConf: `
SERVICES {
  gy cmd="{dir}/svc -C {conf}" listen="127.0.0.1:{port:gy}" prefork=1
}`})
	src := harness.Bin(t, "testservice")
	svc := filepath.Join(in.Dir, "svc")
	copyFile(t, src, svc)
	in.Start()
	c := in.Dial(t, "gy")
	c.Expect(`\* OK`)
	old := c.Line("PID")
	copyFile(t, src, svc+".new")
	os.Chtimes(svc+".new", time.Now().Add(time.Minute), time.Now().Add(time.Minute))
	if err := os.Rename(svc+".new", svc); err != nil {
		t.Fatal(err)
	}
	in.WaitFor(10*time.Second, "a process of the new file", func() bool {
		for _, p := range servicePIDs(in, "gy") {
			if itoa(p) != old {
				return true
			}
		}
		return false
	})
	if got := c.Line("PING"); got != "PONG" {
		t.Errorf("session of the replaced process: %q", got)
	}
	n := in.Dial(t, "gy")
	n.Expect(`\* OK`)
	if n.Line("PID") == old {
		t.Error("new connection served by the process of the old file")
	}
	c.Line("QUIT")
	in.WaitFor(5*time.Second, "old process to exit", func() bool { return !alive(atoi(old)) })
}

// Master removes the proc files of a child that died without cleaning up.
func TestProcFilesOfCrashedChild(t *testing.T) {
	in := harness.Start(t, harness.Options{
		CyrusConf: `
SERVICES {
  gy cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:gy}" prefork=1
}`,
		AllowLog: []string{`signaled_to_death`, `terminated_abnormally`},
	})
	c := in.Dial(t, "gy")
	c.Expect(`\* OK`)
	pid := c.Line("PID")
	c.Line("PROC bob INBOX")
	dir := filepath.Join(in.ConfigDir, "proc", pid)
	if _, err := os.Stat(filepath.Join(dir, "1")); err != nil {
		t.Fatalf("no proc file: %v", err)
	}
	syscall.Kill(atoi(pid), syscall.SIGKILL)
	in.WaitFor(5*time.Second, "proc directory removed", func() bool {
		_, err := os.Stat(dir)
		return os.IsNotExist(err)
	})
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// -X serves one session on stdin/stdout without master.
func TestStdioMode(t *testing.T) {
	in := harness.New(t, harness.Options{CyrusConf: "SERVICES {\n}\n"})
	cmd := exec.Command(harness.Bin(t, "testservice"), "-X", "-C", in.IMAPDConf)
	cmd.Stdin = strings.NewReader("PING\r\nECHO hello\r\nQUIT\r\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("testservice -X: %v\n%s", err, out)
	}
	want := "PONG\r\nhello\r\nBYE\r\n"
	if !strings.HasPrefix(string(out), "* OK testservice gyrus") || !strings.HasSuffix(string(out), want) {
		t.Errorf("-X transcript %q", out)
	}
}

// --listen runs a service without master, on the same code path after
// accept; SIGTERM stops it.
func TestStandalone(t *testing.T) {
	in := harness.New(t, harness.Options{CyrusConf: "SERVICES {\n}\n"})
	addr := in.Addr("alone")
	cmd := exec.Command(harness.Bin(t, "testservice"), "-C", in.IMAPDConf, "--listen", addr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	var c *harness.Conn
	in.WaitFor(10*time.Second, "standalone service to listen", func() bool {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		nc.Close()
		return true
	})
	c = harness.DialConn(t, "tcp", addr)
	c.Expect(`\* OK testservice gyrus pid=\d+ service=testservice id=0 session=`)
	if got := c.Line("PING"); got != "PONG" {
		t.Errorf("PING: %q", got)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if rest := c.ExpectClosed(); len(rest) == 0 || rest[0] != "* BYE shutting down" {
		t.Errorf("at SIGTERM the session got %q", rest)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("standalone exit: %v\n%s", err, stderr.String())
	}
}

// The generic service flags as Cyrus's service.c reads them.
func TestServiceCommandLine(t *testing.T) {
	in := harness.New(t, harness.Options{
		CyrusConf: `
SERVICES {
  dbg cmd="{bin}/testservice -D -C {conf}" listen="127.0.0.1:{port:dbg}" prefork=1
}`,
		IMAPDConf: map[string]string{"debug_command": "echo %s %d %s > {dir}/debugger"},
	})
	// debug_command is itself a template of ours: fill {dir}
	b, _ := os.ReadFile(in.IMAPDConf)
	os.WriteFile(in.IMAPDConf, []byte(in.Expand(string(b))), 0o644)
	in.Start()
	c := in.Dial(t, "dbg")
	c.Expect(`\* OK`)
	pid := c.Line("PID")
	got, err := os.ReadFile(filepath.Join(in.Dir, "debugger"))
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(got)), "testservice "+pid+" dbg") {
		t.Errorf("-D ran debug_command with %q, %v; want \"<program> %s dbg\"", got, err, pid)
	}

	bin := harness.Bin(t, "testservice")
	for _, tc := range []struct {
		args []string
		env  []string
		code int
		msg  string
	}{
		{[]string{"-U30", "-C", in.IMAPDConf}, nil, 64, "options and arguments MUST be separated by whitespace"},
		{[]string{"-DX", "-C", in.IMAPDConf}, nil, 64, "options and arguments MUST be separated by whitespace"},
		{[]string{"-C", in.IMAPDConf}, nil, 70, "could not getenv(CYRUS_SERVICE)"},
		{[]string{"-C", in.IMAPDConf}, []string{"CYRUS_SERVICE=x"}, 70, "could not getenv(CYRUS_ID)"},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Env = append(os.Environ(), tc.env...)
		out, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != tc.code || !strings.Contains(string(out), tc.msg) {
			t.Errorf("testservice %v: %v, want exit %d and %q:\n%s", tc.args, err, tc.code, tc.msg, out)
		}
	}
}

// maxfds limits a child's descriptors; a Gyrus process that nearly runs
// out retires, and master starts another for the next connections.
func TestMaxfds(t *testing.T) {
	in := harness.Start(t, harness.Options{CyrusConf: `
SERVICES {
  fd cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:fd}" prefork=1 maxfds=80
}`})
	c := in.Dial(t, "fd")
	c.Expect(`\* OK`)
	pid := c.Line("PID")
	lim, _ := os.ReadFile("/proc/" + pid + "/limits")
	if !regexp(string(lim), `Max open files\s+80\s+80`) {
		t.Errorf("limits of the child:\n%s", lim)
	}
	// 80 descriptors less the 64 kept in reserve: 16 connections per process.
	pids := map[string]bool{}
	for i := 0; i < 24; i++ {
		x := in.Dial(t, "fd")
		x.Expect(`\* OK`)
		pids[x.Line("PID")] = true
	}
	if len(pids) < 2 {
		t.Errorf("25 connections with maxfds=80 all in one process")
	}
	in.WaitLog(5*time.Second, `service_retiring: reason="descriptors nearly used up"`)
}

// A socket that cannot be bound disables its service (and master goes
// on), or stops master with 69 when master_bind_errors_fatal is set.
func TestBindErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	conf := `
SERVICES {
  taken cmd="{bin}/testservice -C {conf}" listen="` + busy.Addr().String() + `"
  free  cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:free}"
}`
	in := harness.Start(t, harness.Options{CyrusConf: conf, AllowLog: []string{`bind_failed`, `listener_failed_service_disabled`}})
	c := in.Dial(t, "free")
	c.Expect(`\* OK`)
	in.WaitLog(time.Second, `listener_failed_service_disabled: service=taken`)

	fatal := harness.New(t, harness.Options{CyrusConf: conf, NoWait: true, AllowLog: []string{"."},
		IMAPDConf: map[string]string{"master_bind_errors_fatal": "yes"}})
	fatal.Start()
	if code, err := fatal.WaitExit(10 * time.Second); err != nil || code != 69 {
		t.Errorf("master_bind_errors_fatal: exit %d, %v; want 69", code, err)
	}
}
