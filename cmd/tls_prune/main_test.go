package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/twoskip"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tls_prune-bin-")
	if err != nil {
		panic(err)
	}
	os.Chmod(dir, 0o755)
	bin = filepath.Join(dir, "tls_prune")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// instance is a config directory with an imapd.conf, laid out as
// cyrus-ref expects (DIR/etc/imapd.conf, configdirectory DIR/lib).
func instance(t *testing.T) (dir, conf, db string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "tls_prune-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.MkdirAll(filepath.Join(dir, "lib"), 0o755)
	conf = filepath.Join(dir, "etc", "imapd.conf")
	os.WriteFile(conf, []byte("configdirectory: "+filepath.Join(dir, "lib")+"\n"), 0o644)
	return dir, conf, filepath.Join(dir, "lib", "tls_sessions.db")
}

// run runs our tls_prune; logFile receives its syslog lines.
func run(t *testing.T, logFile string, args ...string) (code int, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CYRUS_USER=root", "CASSANDANE_SYSLOG_FNAME="+logFile)
	var eb bytes.Buffer
	cmd.Stderr = &eb
	out, _ := cmd.Output()
	if len(out) != 0 {
		t.Errorf("tls_prune wrote on stdout: %q", out)
	}
	return cmd.ProcessState.ExitCode(), eb.String()
}

// session stores a Cyrus-format session record (32-byte id, <time_t
// expire><DER>) and returns its key.
func session(t *testing.T, db *cyrusdb.DB, expire int64) []byte {
	t.Helper()
	id := make([]byte, 32)
	rand.Read(id)
	val := binary.NativeEndian.AppendUint64(nil, uint64(expire))
	val = append(val, 0x30, 0x82, 0x01, 0x00)
	if err := db.Store(id, val); err != nil {
		t.Fatal(err)
	}
	return id
}

func keys(t *testing.T, path string) []string {
	t.Helper()
	db, err := cyrusdb.Open(path, "twoskip", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	db.Foreach(nil, func(k, _ []byte) error { out = append(out, string(k)); return nil })
	slices.Sort(out)
	return out
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-x"}, {"-r"}, {"-C"}} {
		code, stderr := run(t, os.DevNull, args...)
		if code != 255 || !strings.HasSuffix(stderr, "\ntls_prune [-C <altconfig>]\n") {
			t.Errorf("%v: exit %d stderr %q", args, code, stderr)
		}
	}
	if code, stderr := run(t, os.DevNull, "-C", "/nonexistent/imapd.conf"); code != 78 || !strings.Contains(stderr, "fatal error") {
		t.Errorf("bad config: exit %d %q", code, stderr)
	}
}

func TestPrune(t *testing.T) {
	_, conf, path := instance(t)
	logFile := filepath.Join(t.TempDir(), "syslog")
	if code, _ := run(t, logFile, "-C", conf); code != 0 {
		t.Errorf("missing database: exit %d", code)
	}
	db, err := cyrusdb.Open(path, "twoskip", cyrusdb.Create)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	session(t, db, now-100)
	session(t, db, now-1)
	live := []string{string(session(t, db, now+3600))}
	db.Close()
	if code, stderr := run(t, logFile, "-C", conf); code != 0 || stderr != "" {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	if got := keys(t, path); !slices.Equal(got, live) {
		t.Errorf("left %d records, want only the live one", len(got))
	}
	logs, _ := os.ReadFile(logFile)
	for _, want := range []string{"tls_prune: " + path + " not found, nothing to do", "tls_prune: purged 2 out of 3 entries"} {
		if !strings.Contains(string(logs), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	// A damaged file: a DBERROR and a non-zero exit, as Cyrus.
	os.WriteFile(path, []byte("\xa1\x02\x8b\x0dtwoskip file\x00\x00\x00\x00garbage"), 0o600)
	if code, _ := run(t, logFile, "-C", conf); code != 255 {
		t.Errorf("damaged database: exit %d", code)
	}
}

// TestSameAsCyrus runs our tls_prune and Cyrus 3.6.1's on the same input
// and compares exit status, stderr and what is left in the database.
func TestSameAsCyrus(t *testing.T) {
	const ref = "/work/shared/oracle/cyrus-ref"
	if _, err := os.Stat(ref); err != nil {
		t.Skip("cyrus-ref oracle not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("cyrus-ref needs root")
	}
	u, err := user.Lookup("cyrus")
	if err != nil {
		t.Skip("Cyrus not installed (no user cyrus)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cyrus := func(args ...string) (int, string) {
		cmd := exec.Command(ref, append([]string{"tool"}, args...)...)
		var eb bytes.Buffer
		cmd.Stderr = &eb
		cmd.Run()
		return cmd.ProcessState.ExitCode(), eb.String()
	}
	// Usage errors.
	dir, conf, path := instance(t)
	rc, rerr := cyrus(dir, "tls_prune", "-x")
	oc, oerr := run(t, os.DevNull, "-x")
	strip := func(s string) string { return s[strings.Index(s, ":"):] }
	if rc != oc || strip(rerr) != strip(oerr) {
		t.Errorf("-x: Cyrus exit %d %q, ours %d %q", rc, rerr, oc, oerr)
	}
	// Missing database.
	if rc, _ := cyrus(dir, "tls_prune"); rc != 0 {
		t.Errorf("Cyrus on a missing database: exit %d", rc)
	}
	// The same database for both.
	db, err := cyrusdb.Open(path, "twoskip", cyrusdb.Create)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	for _, d := range []int64{-1000, -20, 600, 7200} {
		session(t, db, now+d)
	}
	db.Close()
	dir2, _, path2 := instance(t)
	data, _ := os.ReadFile(path)
	os.WriteFile(path2, data, 0o600)
	filepath.Walk(dir2, func(p string, _ os.FileInfo, _ error) error { return os.Lchown(p, uid, gid) })
	rc, rerr = cyrus(dir2, "tls_prune")
	oc, oerr = run(t, os.DevNull, "-C", conf)
	if rc != 0 || oc != 0 || rerr != "" || oerr != "" {
		t.Errorf("Cyrus exit %d %q, ours %d %q", rc, rerr, oc, oerr)
	}
	if a, b := keys(t, path2), keys(t, path); !slices.Equal(a, b) || len(a) != 2 {
		t.Errorf("Cyrus left %d records, we left %d (want 2 each)", len(a), len(b))
	}
}
