package master_test

import (
	"os"
	"path/filepath"
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
