package master_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gyrus/test/harness"
)

// The real Cyrus 3.6.1 imapd, a one-connection-per-process C service,
// runs under Gyrus's master with Cyrus's prefork/maxchild semantics: it
// gets its socket and status pipe, logs a user in, and the third client
// waits while maxchild=2 processes are busy.
func TestRealCyrusImapdUnderGyrusMaster(t *testing.T) {
	o := harness.StartOracle(t, harness.OracleOptions{NoTLS: true})
	o.AddUser(t, "alice", "alicepw")
	imapd := filepath.Join(o.Dir, "pkg", "root", "usr", "lib", "cyrus", "bin", "imapd")
	if _, err := os.Stat(imapd); err != nil {
		imapd = "/usr/lib/cyrus/bin/imapd"
		if _, err := os.Stat(imapd); err != nil {
			t.Skip("no Cyrus imapd binary found")
		}
	}
	conf := filepath.Join(o.Dir, "etc", "imapd.conf")
	in := harness.Start(t, harness.Options{
		CyrusConf: `
SERVICES {
  cimap cmd="` + imapd + ` -C ` + conf + `" listen="127.0.0.1:{port:cimap}" prefork=1 maxchild=2
}`,
		// Cyrus's imapd ends with EX_TEMPFAIL or by SIGTERM at shutdown.
		AllowLog: []string{`child_exited_failure`, `signaled_to_death`},
	})
	waitCount(t, in, "a preforked Cyrus imapd", 1, func() int { return len(servicePIDs(in, "cimap")) })

	a := in.Dial(t, "cimap")
	a.Expect(`\* OK .*Cyrus IMAP`)
	a.OK("a1", "LOGIN alice alicepw")
	u := a.OK("a2", "SELECT INBOX")
	if !harness.HasLine(u, `^\* \d+ EXISTS`) {
		t.Errorf("SELECT INBOX: %q", u)
	}
	b := in.Dial(t, "cimap")
	b.Expect(`\* OK .*Cyrus IMAP`)
	c, third := greeted(in.Addr("cimap"))
	defer c.Close()
	select {
	case g := <-third:
		t.Fatalf("third client served beyond maxchild=2: %q", g)
	case <-time.After(time.Second):
	}
	a.Send("a3 LOGOUT")
	a.ExpectClosed()
	select {
	case g := <-third:
		if !strings.Contains(g, "Cyrus IMAP") {
			t.Errorf("third client got %q", g)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("third client not served after a Cyrus imapd became available")
	}
}
