package master_test

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"gyrus/test/harness"
)

// Cyrus semantics for a one-connection-per-process service: prefork idle
// processes are kept ready, each connection takes a process, and
// maxchild caps the processes, so the next client waits in the backlog.
func TestCyrusStylePreforkAndMaxchild(t *testing.T) {
	in := harness.Start(t, harness.Options{CyrusConf: `
SERVICES {
  pre cmd="{bin}/testservice cyrus" listen="127.0.0.1:{port:pre}" prefork=2
  cap cmd="{bin}/testservice cyrus" listen="127.0.0.1:{port:cap}" prefork=0 maxchild=2
}`})
	waitCount(t, in, "ready pre processes", 2, func() int { return len(servicePIDs(in, "pre")) })
	if n := len(servicePIDs(in, "cap")); n != 0 {
		t.Errorf("prefork=0 service has %d processes before any connection", n)
	}

	// Each open connection holds a process; master keeps 2 more ready.
	c1 := in.Dial(t, "pre")
	c1.Expect(`\* OK testservice cyrus`)
	c2 := in.Dial(t, "pre")
	c2.Expect(`\* OK testservice cyrus`)
	if c1.Line("PID") == c2.Line("PID") {
		t.Error("two connections share one cyrus-style process")
	}
	waitCount(t, in, "pre processes with 2 connections", 4, func() int { return len(servicePIDs(in, "pre")) })

	// maxchild=2: the third client is not served until one leaves.
	a := in.Dial(t, "cap")
	a.Expect(`\* OK`)
	b := in.Dial(t, "cap")
	b.Expect(`\* OK`)
	c, third := greeted(in.Addr("cap"))
	defer c.Close()
	select {
	case g := <-third:
		t.Fatalf("third client served beyond maxchild=2: %q", g)
	case <-time.After(700 * time.Millisecond):
	}
	if n := len(servicePIDs(in, "cap")); n != 2 {
		t.Errorf("cap has %d processes, want 2 (maxchild)", n)
	}
	a.Line("QUIT")
	select {
	case g := <-third:
		if !strings.HasPrefix(g, "* OK testservice cyrus") {
			t.Errorf("third client got %q", g)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("third client not served after a slot freed up")
	}
}

// Gyrus services: prefork counts processes, maxchild caps connections
// across all of them (the slot protocol).
func TestGyrusPreforkAndMaxchild(t *testing.T) {
	in := harness.Start(t, harness.Options{CyrusConf: `
SERVICES {
  gy cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:gy}" prefork=2 maxchild=3
}`})
	waitCount(t, in, "gy processes", 2, func() int { return len(servicePIDs(in, "gy")) })

	var conns []net.Conn
	var waits []<-chan string
	for i := 0; i < 5; i++ {
		c, ch := greeted(in.Addr("gy"))
		if c == nil {
			t.Fatal("dial failed")
		}
		defer c.Close()
		conns = append(conns, c)
		waits = append(waits, ch)
	}
	served := map[int]string{}
	deadline := time.After(2 * time.Second)
	for len(served) < 5 {
		got := false
		for i, ch := range waits {
			if _, done := served[i]; done {
				continue
			}
			select {
			case g := <-ch:
				served[i] = g
				got = true
			default:
			}
		}
		if got {
			continue
		}
		select {
		case <-deadline:
			goto counted
		case <-time.After(20 * time.Millisecond):
		}
	}
counted:
	if len(served) != 3 {
		t.Fatalf("%d of 5 clients served with maxchild=3, want 3: %v", len(served), served)
	}
	pids := map[string]bool{}
	for _, g := range served {
		pids[strings.Fields(g)[3]] = true
	}
	t.Logf("3 sessions in %d processes", len(pids))
	if n := len(servicePIDs(in, "gy")); n != 2 {
		t.Errorf("gy has %d processes with 3 sessions, want prefork=2", n)
	}
	// One session ends: exactly one waiting client gets its slot.
	for i := range conns {
		if _, ok := served[i]; ok {
			conns[i].Write([]byte("QUIT\r\n"))
			break
		}
	}
	n := 0
	timeout := time.After(5 * time.Second)
	for i, ch := range waits {
		if _, ok := served[i]; ok {
			continue
		}
		select {
		case g := <-ch:
			if strings.HasPrefix(g, "* OK") {
				n++
			}
		case <-time.After(700 * time.Millisecond):
		case <-timeout:
		}
	}
	if n != 1 {
		t.Errorf("%d waiting clients served after one session ended, want 1", n)
	}
}

// -U: a Gyrus process retires after that many connections (finishing
// its sessions) and master replaces it; a Cyrus-style one exits.
func TestUsesRetirement(t *testing.T) {
	in := harness.Start(t, harness.Options{CyrusConf: `
SERVICES {
  gy cmd="{bin}/testservice -U 2 -C {conf}" listen="127.0.0.1:{port:gy}" prefork=1
  cy cmd="{bin}/testservice cyrus -U 1" listen="127.0.0.1:{port:cy}" prefork=1
}`})
	c1 := in.Dial(t, "gy")
	c1.Expect(`\* OK`)
	c2 := in.Dial(t, "gy")
	c2.Expect(`\* OK`)
	p1, p2 := c1.Line("PID"), c2.Line("PID")
	if p1 != p2 {
		t.Fatalf("first two connections in different processes %s %s", p1, p2)
	}
	c3 := in.Dial(t, "gy")
	c3.Expect(`\* OK`)
	p3 := c3.Line("PID")
	if p3 == p1 {
		t.Fatalf("third connection served by the retired process %s", p1)
	}
	// The retired process still serves its sessions, then exits.
	if got := c1.Line("PING"); got != "PONG" {
		t.Errorf("retired process stopped serving: %q", got)
	}
	old := atoi(p1)
	if !alive(old) {
		t.Fatal("retired process gone while its sessions are open")
	}
	c1.Line("QUIT")
	c2.Line("QUIT")
	in.WaitFor(5*time.Second, "retired process to exit", func() bool { return !alive(old) })

	a := in.Dial(t, "cy")
	a.Expect(`\* OK`)
	pa := a.Line("PID")
	a.Line("QUIT")
	b := in.Dial(t, "cy")
	b.Expect(`\* OK`)
	if pb := b.Line("PID"); pb == pa {
		t.Errorf("cyrus -U 1 process served twice (%s)", pa)
	}
}

// babysit=y raises prefork to 1: a child exists without any connection,
// and is replaced when it dies.
func TestBabysit(t *testing.T) {
	in := harness.Start(t, harness.Options{
		CyrusConf: `
SERVICES {
  sit cmd="{bin}/testservice cyrus" listen="127.0.0.1:{port:sit}" prefork=0 babysit=y
}`,
		AllowLog: []string{`terminated_abnormally`, `child_signaled_to_death`},
	})
	waitCount(t, in, "babysat processes", 1, func() int { return len(servicePIDs(in, "sit")) })
	first := servicePIDs(in, "sit")[0]
	syscall.Kill(first, syscall.SIGKILL)
	in.WaitFor(5*time.Second, "a new babysat process", func() bool {
		p := servicePIDs(in, "sit")
		return len(p) == 1 && p[0] != first
	})
	c := in.Dial(t, "sit")
	c.Expect(`\* OK testservice cyrus`)
}

// A service whose processes die before serving: five failures within
// ten seconds disable it until SIGHUP (Cyrus's rule), and a reload
// brings it back.
func TestCrashLoopDisablesUntilSIGHUP(t *testing.T) {
	in := harness.Start(t, harness.Options{
		CyrusConf: `
SERVICES {
  bad cmd="{bin}/testservice cyrus -crash" listen="127.0.0.1:{port:bad}" prefork=1
}`,
		AllowLog: []string{`terminated_abnormally`, `child_exited_failure`, `service_disabled_until_sighup`},
	})
	in.WaitLog(10*time.Second, `service_disabled_until_sighup: service=bad/ipv4`)
	time.Sleep(500 * time.Millisecond)
	if n := strings.Count(masterLog(in), "child_exited_failure"); n != 5 {
		t.Errorf("%d failed starts logged, want 5", n)
	}
	if _, err := net.DialTimeout("tcp", in.Addr("bad"), time.Second); err == nil {
		t.Error("disabled service still accepts connections")
	}
	in.Reload(`
SERVICES {
  bad cmd="{bin}/testservice cyrus" listen="127.0.0.1:{port:bad}" prefork=1
}`)
	c := in.Dial(t, "bad")
	c.Expect(`\* OK testservice cyrus`)
}

// A daemon that keeps dying is restarted, but no faster than maxforkrate
// (10 per second by default for DAEMON entries; 2 here, well below how
// fast this machine can restart it).
func TestCrashLoopIsThrottled(t *testing.T) {
	in := harness.New(t, harness.Options{
		CyrusConf: `
DAEMON {
  flap cmd="{bin}/testservice daemon -wait ok -exit-after 0 -record {dir}/rec -name flap" wait=y maxforkrate=2
}`,
		AllowLog: []string{`terminated_abnormally`, `child_exited_failure`, `repeatedly_failing`},
	})
	in.Start()
	time.Sleep(3 * time.Second)
	n := len(records(in.Dir+"/rec", "flap start"))
	in.Stop()
	t.Logf("%d starts in 3 s", n)
	if n < 3 || n > 14 {
		t.Errorf("%d starts of a crashing daemon in 3 s; want about 2 per second", n)
	}
	if !strings.Contains(in.Log(), "fork_rate_limited") {
		t.Error("throttling was not logged")
	}
}
