package harness

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Target is what a differential test needs from a server, Gyrus or the
// real Cyrus: where each protocol listens, and a way to add a user.
type Target interface {
	// Name is "gyrus" or "cyrus".
	Name() string
	// Addr is host:port of "imap", "pop3", "lmtp" or "sieve".
	Addr(proto string) string
	AddUser(t testing.TB, user, password string)
}

// Name implements Target.
func (in *Instance) Name() string { return "gyrus" }

// OraclePath is the wrapper script that starts the real Cyrus 3.6.1:
// ../shared/oracle/cyrus-ref from the module root.
func OraclePath() string {
	return filepath.Join(filepath.Dir(ModuleRoot()), "shared", "oracle", "cyrus-ref")
}

// Oracle is a running private instance of the real Cyrus.
type Oracle struct {
	Dir   string
	ports map[string]int
}

// Name implements Target.
func (o *Oracle) Name() string { return "cyrus" }

// OracleOptions are passed to cyrus-ref start.
type OracleOptions struct {
	Opts  []string // --opt key=value
	NoTLS bool
}

// StartOracle starts the real Cyrus on free loopback ports and stops it
// at cleanup. The test is skipped when the script is missing or cannot
// run here (it needs root). A start whose ports were taken meanwhile (by
// a program that is not one of our tests) is tried again on new ports, in
// a new directory.
func StartOracle(t testing.TB, oo OracleOptions) *Oracle {
	t.Helper()
	script := OraclePath()
	if _, err := os.Stat(script); err != nil {
		t.Skipf("oracle: %s not found", script)
	}
	if os.Geteuid() != 0 {
		t.Skip("oracle: cyrus-ref needs root")
	}
	base, err := os.MkdirTemp("", "gyrus-oracle-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	t.Cleanup(func() { os.RemoveAll(base) })
	const attempts = 3
	for attempt := 1; ; attempt++ {
		o := &Oracle{Dir: filepath.Join(base, fmt.Sprintf("cyrus%d", attempt)), ports: map[string]int{}}
		args := []string{"start", o.Dir}
		for _, p := range []string{"imap", "pop3", "lmtp", "sieve", "sync"} {
			o.ports[p] = FreePort(t)
			args = append(args, "--"+p, strconv.Itoa(o.ports[p]))
		}
		for _, kv := range oo.Opts {
			args = append(args, "--opt", kv)
		}
		if oo.NoTLS {
			args = append(args, "--no-tls")
		}
		out, err := exec.Command(script, args...).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "not root") || strings.Contains(string(out), "must be run as root") {
				t.Skipf("oracle cannot run: %s", out)
			}
			exec.Command(script, "stop", o.Dir).Run()
			portTrouble := strings.Contains(string(out), "already in use") || strings.Contains(string(out), "did not answer")
			if portTrouble && attempt < attempts {
				t.Logf("oracle start, attempt %d: %v\n%s", attempt, err, out)
				continue
			}
			t.Fatalf("oracle start: %v\n%s", err, out)
		}
		t.Cleanup(func() {
			if out, err := exec.Command(script, "stop", o.Dir).CombinedOutput(); err != nil {
				t.Errorf("oracle stop: %v\n%s", err, out)
			}
		})
		// cyrus-ref returns once IMAP greets; this is a second check
		deadline := time.Now().Add(30 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", o.Addr("imap"), time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("oracle IMAP not answering on %s", o.Addr("imap"))
			}
			time.Sleep(100 * time.Millisecond)
		}
		return o
	}
}

// Port is the loopback port of "imap", "pop3", "lmtp", "sieve" or "sync".
func (o *Oracle) Port(proto string) int { return o.ports[proto] }

// Addr implements Target.
func (o *Oracle) Addr(proto string) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(o.ports[proto]))
}

// AddUser implements Target (cyrus-ref adduser: SASL secret and INBOX).
func (o *Oracle) AddUser(t testing.TB, user, password string) {
	t.Helper()
	out, err := exec.Command(OraclePath(), "adduser", o.Dir, user, password).CombinedOutput()
	if err != nil {
		t.Fatalf("oracle adduser %s: %v\n%s", user, err, out)
	}
}

// Tool runs a Cyrus program against the oracle (cyrus-ref tool) and
// returns its combined output.
func (o *Oracle) Tool(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(OraclePath(), append([]string{"tool", o.Dir, name}, args...)...).CombinedOutput()
	return string(out), err
}

// Both runs f against a Gyrus instance and against the real Cyrus, as
// subtests "gyrus" and "cyrus" (the latter skipped where the oracle
// cannot run).
func Both(t *testing.T, o Options, f func(t *testing.T, target Target)) {
	t.Run("gyrus", func(t *testing.T) { f(t, Start(t, o)) })
	t.Run("cyrus", func(t *testing.T) { f(t, StartOracle(t, OracleOptions{})) })
}
