package master_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gyrus/test/harness"
)

// SIGHUP: a changed entry restarts its processes, a removed one stops
// accepting, a new one starts — and connections open across the reload
// go on undisturbed.
func TestReload(t *testing.T) {
	in := harness.Start(t, harness.Options{CyrusConf: `
SERVICES {
  keep   cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:keep}" prefork=1
  change cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:change}" prefork=1
  gone   cmd="{bin}/testservice cyrus" listen="127.0.0.1:{port:gone}" prefork=1
  gone2  cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:gone2}" prefork=1
}`})
	k := in.Dial(t, "keep")
	k.Expect(`\* OK`)
	ch := in.Dial(t, "change")
	ch.Expect(`\* OK`)
	g := in.Dial(t, "gone")
	g.Expect(`\* OK testservice cyrus`)
	g2 := in.Dial(t, "gone2")
	g2.Expect(`\* OK`)
	oldChange := ch.Line("PID")
	if ch.Line("ENV CYRUS_ID") != "0" {
		t.Fatal("CYRUS_ID")
	}

	in.Reload(`
SERVICES {
  keep   cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:keep}" prefork=1
  change cmd="{bin}/testservice -U 7 -C {conf}" listen="127.0.0.1:{port:change}" prefork=1
  added  cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:added}" prefork=1
}`)
	// Open connections survive, each in its old process.
	for name, c := range map[string]*harness.Conn{"keep": k, "change": ch, "gone": g, "gone2": g2} {
		if got := c.Line("PING"); got != "PONG" {
			t.Errorf("%s connection after SIGHUP: %q", name, got)
		}
	}
	if p := ch.Line("PID"); p != oldChange {
		t.Errorf("open connection moved from %s to %s", oldChange, p)
	}
	// New connections to the changed entry get a new process with the
	// new command, once the old one has closed its listener (SIGHUP
	// reaches it after master reconfigured).
	in.WaitLog(5*time.Second, `change\[`+oldChange+`\]: service_retiring`)
	n := in.Dial(t, "change")
	n.Expect(`\* OK`)
	if p := n.Line("PID"); p == oldChange {
		t.Error("changed entry still served by its old process")
	} else if cl, _ := os.ReadFile("/proc/" + p + "/cmdline"); !strings.Contains(string(cl), "-U\x007") {
		t.Errorf("changed entry runs %q", cl)
	}
	a := in.Dial(t, "added")
	a.Expect(`\* OK testservice gyrus .* service=added`)
	for _, name := range []string{"gone", "gone2"} {
		if c, err := net.DialTimeout("tcp", in.Addr(name), time.Second); err == nil {
			c.Close()
			t.Errorf("removed entry %s still accepts", name)
		}
	}
	// The old processes leave once their sessions are over.
	oldPID := atoi(oldChange)
	ch.Line("QUIT")
	in.WaitFor(5*time.Second, "old process of the changed entry to exit", func() bool { return !alive(oldPID) })
	gp := atoi(g2.Line("PID"))
	g2.Line("QUIT")
	in.WaitFor(5*time.Second, "process of the removed entry to exit", func() bool { return !alive(gp) })
	if got := g.Line("PING"); got != "PONG" {
		t.Errorf("cyrus-style session of a removed entry: %q", got)
	}
	g.Line("QUIT")
	in.WaitFor(5*time.Second, "removed entries to have no process", func() bool {
		return len(servicePIDs(in, "gone"))+len(servicePIDs(in, "gone2")) == 0
	})
}

// SIGTERM: master stops accepting, its Gyrus services tell open sessions
// goodbye, everyone exits and master exits 0, removing the ready file.
// systemd's NOTIFY_SOCKET gets READY=1 and STOPPING=1.
func TestShutdown(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify")
	nl, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	notes := make(chan string, 10)
	go func() {
		b := make([]byte, 256)
		for {
			n, _, err := nl.ReadFromUnix(b)
			if err != nil {
				return
			}
			notes <- string(b[:n])
		}
	}()
	in := harness.Start(t, harness.Options{
		CyrusConf: `
SERVICES {
  gy cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:gy}" prefork=1
  cy cmd="{bin}/testservice cyrus" listen="127.0.0.1:{port:cy}" prefork=1
}`,
		Env: []string{"NOTIFY_SOCKET=" + sock},
	})
	select {
	case n := <-notes:
		if !strings.HasPrefix(n, "READY=1") {
			t.Errorf("first notification %q", n)
		}
	case <-time.After(5 * time.Second):
		t.Error("no READY=1 notification")
	}
	g := in.Dial(t, "gy")
	g.Expect(`\* OK`)
	c := in.Dial(t, "cy")
	c.Expect(`\* OK`)
	kids := in.Children()
	start := time.Now()
	in.Signal(syscall.SIGTERM)
	if rest := g.ExpectClosed(); len(rest) == 0 || rest[0] != "* BYE shutting down" {
		t.Errorf("open Gyrus session got %q at shutdown, want \"* BYE shutting down\"", rest)
	}
	c.ExpectClosed()
	code, err := in.WaitExit(10 * time.Second)
	if err != nil || code != 0 {
		t.Fatalf("master exit %d, %v", code, err)
	}
	t.Logf("shutdown with open sessions took %v", time.Since(start).Round(time.Millisecond))
	for _, k := range kids {
		if alive(k) {
			t.Errorf("child %d still alive after master exited", k)
		}
	}
	if _, err := os.Stat(in.ReadyFile); !os.IsNotExist(err) {
		t.Errorf("ready file left: %v", err)
	}
	select {
	case n := <-notes:
		if n != "STOPPING=1" {
			t.Errorf("notification at shutdown %q", n)
		}
	case <-time.After(2 * time.Second):
		t.Error("no STOPPING=1 notification")
	}

	// Without connections, shutdown is quick.
	quiet := harness.Start(t, harness.Options{CyrusConf: `
SERVICES {
  gy cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:gy}" prefork=2
}`})
	start = time.Now()
	if code := quiet.Stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("idle shutdown took %v", d)
	}
}

// If master is killed outright, its children do not stay behind.
func TestChildrenDieWithMaster(t *testing.T) {
	in := harness.Start(t, harness.Options{CyrusConf: `
SERVICES {
  gy cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:gy}" prefork=2
  cy cmd="{bin}/testservice cyrus" listen="127.0.0.1:{port:cy}" prefork=1
}
DAEMON {
  d cmd="{bin}/testservice daemon"
}`})
	waitCount(t, in, "children", 4, func() int { return len(in.Children()) })
	kids := in.Children()
	syscall.Kill(in.PID(), syscall.SIGKILL)
	in.WaitExit(5 * time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for _, k := range kids {
		for alive(k) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(k) {
			t.Errorf("child %d survived master's SIGKILL", k)
		}
	}
}
