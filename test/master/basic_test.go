package master_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gyrus/test/harness"
)

// Both kinds of service on TCP, a UNIX socket and IPv6: the environment
// and descriptors a child gets, and what the proc files say.
func TestChildEnvironment(t *testing.T) {
	conf := `
SERVICES {
  gy   cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:gy}" prefork=1
  cy   cmd="{bin}/testservice cyrus" listen="127.0.0.1:{port:cy}" prefork=1
  ux   cmd="{bin}/testservice -C {conf}" listen="{run}/ux.sock"
}
`
	v6 := hasIPv6()
	if v6 {
		conf = strings.Replace(conf, "}\n", "  six cmd=\"{bin}/testservice -C {conf}\" listen=\"[::1]:{port:six}\" proto=tcp6\n}\n", 1)
	}
	in := harness.Start(t, harness.Options{CyrusConf: conf})

	g := in.Dial(t, "gy")
	g.Expect(`\* OK testservice gyrus pid=\d+ service=gy id=0 session=1`)
	if got := g.Line("FDS"); got != "0,1,2,3,4" {
		t.Errorf("gyrus child descriptors = %s, want 0,1,2,3,4 (%s)", got, g.Line("FDINFO"))
	}
	if got := g.Line("ENV GYRUS_SLOTS"); got != "1" {
		t.Errorf("GYRUS_SLOTS = %q", got)
	}
	if got := g.Line("ENV CYRUS_ISDAEMON"); got != "" {
		t.Errorf("CYRUS_ISDAEMON = %q for a service", got)
	}
	if got := g.Line("HOST"); !strings.HasSuffix(got, "[127.0.0.1]") {
		t.Errorf("client host %q", got)
	}
	pid := g.Line("PID")
	if got := g.Line("PROC alice user.alice"); got != "OK" {
		t.Fatalf("PROC: %s", got)
	}
	procFile := filepath.Join(in.ConfigDir, "proc", pid, "1")
	b, err := os.ReadFile(procFile)
	if err != nil || !strings.HasPrefix(string(b), "gy\t") || !strings.HasSuffix(string(b), "\talice\tuser.alice\t\n") {
		t.Errorf("proc file %s = %q, %v", procFile, b, err)
	}
	g.Line("QUIT")
	in.WaitFor(5*time.Second, "proc file removed", func() bool {
		_, err := os.Stat(procFile)
		return os.IsNotExist(err)
	})

	c := in.Dial(t, "cy")
	c.Expect(`\* OK testservice cyrus pid=\d+ service=cy id=0`)
	if got := c.Line("FDS"); got != "0,1,2,3,4" {
		t.Errorf("cyrus-style child descriptors = %s, want 0,1,2,3,4 (%s)", got, c.Line("FDINFO"))
	}

	u := harness.DialConn(t, "unix", filepath.Join(in.Run, "ux.sock"))
	u.Expect(`\* OK testservice gyrus .* service=ux `)
	if got := u.Line("HOST"); got != "[unix socket]" {
		t.Errorf("unix client host %q", got)
	}
	fi, err := os.Stat(filepath.Join(in.Run, "ux.sock"))
	if err != nil || fi.Mode().Perm() != 0o777 {
		t.Errorf("unix socket mode %v, %v; want 0777", fi.Mode(), err)
	}

	if v6 {
		s := harness.DialConn(t, "tcp", net.JoinHostPort("::1", itoa(in.Port("six"))))
		s.Expect(`\* OK testservice gyrus .* service=six `)
		if got := s.Line("HOST"); !strings.HasSuffix(got, "[::1]") {
			t.Errorf("v6 client host %q", got)
		}
	} else {
		t.Log("no IPv6 loopback here: the [::1] listener is not tested")
	}
}
