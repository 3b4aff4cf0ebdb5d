package tlsutil

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/cyrusdb"
)

// cyrusSession is a record as Cyrus's new_session_cb writes it: a session
// id key, and <time_t expire><DER session> as value.
func cyrusSession(t testing.TB, expire int64) (key, val []byte) {
	key = make([]byte, 32)
	rand.Read(key)
	val = make([]byte, 8, 100)
	hostOrder.PutUint64(val, uint64(expire))
	val = append(val, 0x30, 0x81, 0x84, 0x02, 0x01, 0x01) // the start of an SSL_SESSION
	return key, val
}

// fillSessionsDB writes a database with ticket keys made at different
// times by a ring, Cyrus session records and a short record; it returns
// the keys that must survive a prune at now.
func fillSessionsDB(t *testing.T, path string, now time.Time) (live [][]byte) {
	t.Helper()
	db := openDB(t, path)
	T := time.Hour
	for _, age := range []time.Duration{3 * T, 2 * T, T, 0} {
		clk := &fakeClock{now.Add(-age)}
		r := newKeyRing(db, T, time.Second, clk.now)
		if _, err := r.sealKey(); err != nil {
			t.Fatal(err)
		}
		if r.current.Expires >= now.Unix() {
			live = append(live, r.current.dbKey())
		}
	}
	for _, exp := range []int64{now.Unix() - 10, now.Unix() + 600} {
		k, v := cyrusSession(t, exp)
		if err := db.Store(k, v); err != nil {
			t.Fatal(err)
		}
		if exp >= now.Unix() {
			live = append(live, k)
		}
	}
	if len(live) != 3 {
		t.Fatalf("setup: %d live records", len(live))
	}
	return live
}

func dbKeys(t *testing.T, path string) [][]byte {
	t.Helper()
	db, err := cyrusdb.Open(path, "twoskip", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var keys [][]byte
	db.Foreach(nil, func(k, v []byte) error { keys = append(keys, bytes.Clone(k)); return nil })
	return keys
}

func sameKeys(a, b [][]byte) bool {
	sa, sb := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		sa[i] = string(a[i])
	}
	for i := range b {
		sb[i] = string(b[i])
	}
	slices.Sort(sa)
	slices.Sort(sb)
	return slices.Equal(sa, sb)
}

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	c, err := config.FromMap(map[string]string{"configdirectory": dir}, "tls_prune")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Prune(c, time.Now()); !errors.Is(err, ErrNoSessionsDB) {
		t.Errorf("missing database: %v", err)
	}
	if !strings.Contains(logBuf.String(), "tls_prune: "+filepath.Join(dir, "tls_sessions.db")+" not found, nothing to do") {
		t.Error("missing database not logged as Cyrus does")
	}
	now := time.Unix(1_800_000_000, 0)
	live := fillSessionsDB(t, SessionsDBPath(c), now)
	db := openDB(t, SessionsDBPath(c))
	db.Store([]byte("short"), []byte{1, 2, 3})
	res, err := Prune(c, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Entries != 7 || res.Purged != 3 || res.Skipped != 1 {
		t.Errorf("result %+v, want 7 entries, 3 purged, 1 skipped", res)
	}
	if got := dbKeys(t, SessionsDBPath(c)); !sameKeys(got, append(live, []byte("short"))) {
		t.Errorf("left %q", got)
	}
	if !strings.Contains(logBuf.String(), "tls_prune: purged 3 out of 7 entries") {
		t.Error("result not logged as Cyrus does")
	}
	// Keys still live at now keep opening tickets in a ring that reads the pruned file.
	r := newKeyRing(db, time.Hour, time.Second, func() time.Time { return now })
	if _, err := r.sealKey(); err != nil || countKeys(t, SessionsDBPath(c)) != 2 {
		t.Errorf("ring on the pruned file: %v", err)
	}
}

// cyrusRef is the oracle script; tests that need it skip without it.
const cyrusRef = "/work/shared/oracle/cyrus-ref"

func needOracle(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(cyrusRef); err != nil {
		t.Skip("cyrus-ref oracle not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("cyrus-ref needs root to run Cyrus tools as user cyrus")
	}
	if _, err := user.Lookup("cyrus"); err != nil {
		if out, err := exec.Command(cyrusRef, "install").CombinedOutput(); err != nil {
			t.Skipf("cyrus-ref cannot install Cyrus: %v %s", err, out)
		}
	}
}

// oracleDir makes a world-searchable cyrus-ref directory with an
// imapd.conf whose configdirectory is DIR/lib.
func oracleDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tlsutil-oracle-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.MkdirAll(filepath.Join(dir, "lib"), 0o755)
	conf := "configdirectory: " + filepath.Join(dir, "lib") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "etc", "imapd.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	return dir
}

func chownCyrus(t *testing.T, dir string) {
	t.Helper()
	u, err := user.Lookup("cyrus")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { return os.Lchown(p, uid, gid) })
}

func runRef(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(cyrusRef, args...).CombinedOutput()
	return string(out), err
}

// TestRealCyrusOnGyrusSessionsDB hands a tls_sessions.db written by Gyrus
// (ticket keys next to Cyrus-format sessions) to the real Cyrus 3.6.1
// tools: cyr_dbtool finds it consistent, Cyrus's tls_prune runs without
// error and removes exactly what ours removes.
func TestRealCyrusOnGyrusSessionsDB(t *testing.T) {
	needOracle(t)
	dir := oracleDir(t)
	path := filepath.Join(dir, "lib", "tls_sessions.db")
	now := time.Now()
	live := fillSessionsDB(t, path, now) // expired records are 10 s or more in the past, live ones 10 min or more ahead
	ours := filepath.Join(t.TempDir(), "copy.db")
	data, _ := os.ReadFile(path)
	os.WriteFile(ours, data, 0o600)
	chownCyrus(t, dir)

	out, err := runRef(t, "tool", dir, "cyr_dbtool", path, "twoskip", "consistent")
	if err != nil || !strings.Contains(out, "Yes, consistent") {
		t.Fatalf("cyr_dbtool consistent: %v %s", err, out)
	}
	if out, err := runRef(t, "tool", dir, "tls_prune"); err != nil {
		t.Fatalf("Cyrus tls_prune failed on our file: %v %s", err, out)
	}
	got := dbKeys(t, path)
	if !sameKeys(got, live) {
		t.Errorf("Cyrus's tls_prune left %d records %q, want the %d live ones", len(got), got, len(live))
	}
	db, err := cyrusdb.Open(ours, "twoskip", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PruneDB(db, now); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if !sameKeys(dbKeys(t, ours), got) {
		t.Error("our prune and Cyrus's disagree")
	}
	// After Cyrus pruned it, the file is still ours to use.
	if out, err := runRef(t, "tool", dir, "cyr_dbtool", path, "twoskip", "consistent"); err != nil || !strings.Contains(out, "Yes, consistent") {
		t.Errorf("after Cyrus's prune: %v %s", err, out)
	}
}
