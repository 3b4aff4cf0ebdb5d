package timsieved

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gyrus/lib/config"
	"gyrus/lib/sieve"
	"gyrus/lib/sievedir"
	"gyrus/test/harness"
)

// TestCyrusReadsOurDirectory writes a user's scripts with lib/sievedir
// into the real Cyrus 3.6.1's sievedir, at the place Cyrus computes for
// the user, and logs in to Cyrus's timsieved: it takes the .script files
// into its #sieve mailbox and keeps the active one, so a spool moved
// from Gyrus to Cyrus keeps its users' scripts.
func TestCyrusReadsOurDirectory(t *testing.T) {
	requireCompiler(t)
	o := harness.StartOracle(t, harness.OracleOptions{})
	o.AddUser(t, "dave", "davepw")
	out, err := o.Tool(t, "mbpath", "user.dave")
	if err != nil {
		t.Fatalf("mbpath: %v %s", err, out)
	}
	id := filepath.Base(strings.TrimSpace(out))
	dir := filepath.Join(o.Dir, "sieve", "uuid", id[:1], id[1:2], id)
	d := sievedir.Open(dir)
	opts := sieve.Options{Extensions: config.Bits(^uint64(0))}
	for name, src := range map[string]string{"x": "keep;\r\n", "y": "discard;\r\n"} {
		bc, err := sieve.Compile([]byte(src), opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Put(name, []byte(src), bc); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.SetActive("x"); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chown", "-R", "cyrus", filepath.Join(o.Dir, "sieve", "uuid")).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	c, _ := Dial(t, o.Addr("sieve"))
	login(t, c, "dave", "davepw")
	r := c.Cmd("OK", "LISTSCRIPTS")
	sort.Strings(r)
	if strings.Join(r, "|") != `"x" ACTIVE|"y"|OK` {
		t.Errorf("Cyrus lists %q", r)
	}
	if r := c.Cmd("OK", `GETSCRIPT "y"`); r[0] != "{10}\r\ndiscard;\r\n" {
		t.Errorf("Cyrus GETSCRIPT: %q", r)
	}
	// Cyrus moved the sources into its mailbox and kept the bytecode
	if _, err := os.Stat(filepath.Join(dir, "x.script")); !os.IsNotExist(err) {
		t.Logf("x.script is still there (%v)", err)
	}
	if l, _ := os.Readlink(filepath.Join(dir, "defaultbc")); l != "x.bc" {
		t.Errorf("defaultbc -> %q after Cyrus's migration", l)
	}
}
