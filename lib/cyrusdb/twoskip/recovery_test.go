package twoskip

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/log"
)

// syncBuffer is a bytes.Buffer safe for the logger's writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// dirtyCopies builds a database, starts a write transaction on it and
// copies the file at several moments of that transaction, as a process
// killed there would leave it (the append buffer lost, committed heads
// already rewritten, part of the transaction flushed past current_size
// when flush is small). It returns the committed contents and the copies.
func dirtyCopies(t *testing.T, dir string, flush int) (map[string]string, []string) {
	t.Helper()
	old := flushAt
	flushAt = flush
	defer func() { flushAt = old }()
	path := filepath.Join(dir, "live.db")
	db := openT(t, path, cyrusdb.Create|cyrusdb.NoSync|cyrusdb.NoCompact)
	r := rand.New(rand.NewPCG(11, uint64(flush)))
	model := map[string]string{}
	for round := 0; round < 5; round++ {
		tx, _ := db.Begin()
		for i := 0; i < 60; i++ {
			k := fmt.Sprintf("k%04d", r.IntN(400))
			v := strings.Repeat(string(rune('a'+r.IntN(26))), r.IntN(90))
			if err := tx.Store([]byte(k), []byte(v)); err != nil {
				t.Fatal(err)
			}
			model[k] = v
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var copies []string
	snap := func() {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("crash%d.db", len(copies)))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		copies = append(copies, p)
	}
	tx, _ := db.Begin()
	for i := 0; i < 120; i++ {
		k := []byte(fmt.Sprintf("k%04d", r.IntN(500)))
		var err error
		if i%4 == 3 {
			err = tx.Delete(k)
		} else {
			err = tx.Store(k, bytes.Repeat([]byte("x"), r.IntN(200)))
		}
		if err != nil {
			t.Fatal(err)
		}
		if i%40 == 39 {
			snap()
		}
	}
	tx.Abort()
	return model, copies
}

func sortedPairs(m map[string]string) []byte {
	var b bytes.Buffer
	for _, k := range sortedKeys(m) {
		fmt.Fprintf(&b, "%s\t%s\n", k, m[k])
	}
	return b.Bytes()
}

// TestRecoverKilledTransaction: the file a writer leaves when it dies in
// the middle of a transaction opens (after recovery, which is logged)
// with exactly the committed contents; real Cyrus's cyr_dbtool, when
// installed, recovers the same copies to the same contents.
func TestRecoverKilledTransaction(t *testing.T) {
	var logged syncBuffer
	log.Setup(log.Options{Ident: "twoskip.test", Socket: "/nonexistent", Foreground: true, Stderr: &logged})
	defer quietLog()
	rc := newOracle(t)
	for _, flush := range []int{4 << 20, 512} {
		dir := t.TempDir()
		model, copies := dirtyCopies(t, dir, flush)
		want := sortedPairs(model)
		for _, p := range copies {
			if rc != nil {
				// Cyrus first, on its own copy.
				b, _ := os.ReadFile(p)
				cp := filepath.Join(rc.dir, filepath.Base(p))
				os.WriteFile(cp, b, 0o600)
				if got := rc.run(t, cp, "show"); !bytes.Equal(got, want) {
					t.Fatalf("flush %d, %s: real Cyrus recovered\n%s\nwant\n%s", flush, p, got, want)
				}
				if got := rc.run(t, cp, "consistent"); string(got) != "Yes, consistent\n" {
					t.Fatalf("real Cyrus after recovery: %q", got)
				}
			}
			db := openT(t, p, cyrusdb.NoCompact)
			got := map[string]string{}
			if err := db.Foreach(nil, func(k, v []byte) error { got[string(k)] = string(v); return nil }); err != nil {
				t.Fatal(err)
			}
			if g := sortedPairs(got); !bytes.Equal(g, want) {
				t.Fatalf("flush %d, %s: recovered\n%s\nwant\n%s", flush, p, g, want)
			}
			if err := db.Consistent(); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}
	}
	if !strings.Contains(logged.String(), "twoskip: recovered ") {
		t.Fatalf("no recovery line logged: %q", logged.String())
	}
}

// oracle runs the real Cyrus cyr_dbtool (installed with the reference
// server) as the cyrus user.
type oracle struct{ dir, conf string }

const realDBTool = "/usr/lib/cyrus/bin/cyr_dbtool"

// newOracle returns nil (and the test goes on without Cyrus) when the
// tool is missing or we cannot run it as cyrus.
func newOracle(t *testing.T) *oracle {
	if _, err := os.Stat(realDBTool); err != nil || os.Getuid() != 0 {
		t.Log("real Cyrus cyr_dbtool not usable (needs the oracle and root): Gyrus side only")
		return nil
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Log("no setpriv: Gyrus side only")
		return nil
	}
	dir, err := os.MkdirTemp("", "gyrus-twoskip-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	conf := filepath.Join(dir, "imapd.conf")
	os.WriteFile(conf, []byte("configdirectory: "+dir+"/conf\npartition-default: "+dir+"/spool\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	return &oracle{dir: dir, conf: conf}
}

func (o *oracle) run(t *testing.T, path string, args ...string) []byte {
	t.Helper()
	exec.Command("chown", "-R", "cyrus:mail", o.dir).Run()
	a := append([]string{"--reuid=cyrus", "--regid=mail", "--init-groups", realDBTool, "-C", o.conf, path, "twoskip"}, args...)
	cmd := exec.Command("setpriv", a...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("cyr_dbtool %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes()
}

// TestConcurrentWithRealCyrus: real Cyrus's cyr_dbtool and three Gyrus
// processes (this test binary as a worker, all running as user cyrus)
// write the same file at the same time: Cyrus's classic fcntl locks
// against our OFD locks; both sides append, rewrite heads, remap, and
// checkpoint by rename. Afterwards both see the same, complete contents
// and Cyrus finds the file consistent.
func TestConcurrentWithRealCyrus(t *testing.T) {
	rc := newOracle(t)
	if rc == nil {
		t.Skip("real Cyrus cyr_dbtool not usable")
	}
	path := filepath.Join(rc.dir, "conf", "both.db")
	openT(t, path, cyrusdb.Create).Close()
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	worker := filepath.Join(rc.dir, "twoskip.test")
	if err := os.WriteFile(worker, self, 0o755); err != nil {
		t.Fatal(err)
	}
	exec.Command("chown", "-R", "cyrus:mail", rc.dir).Run()
	asCyrus := func(env string, args ...string) *exec.Cmd {
		cmd := exec.Command("setpriv", append([]string{"--reuid=cyrus", "--regid=mail", "--init-groups"}, args...)...)
		cmd.Env = append(os.Environ(), env)
		return cmd
	}
	var in strings.Builder
	const cyrusTxns, cyrusKeys = 150, 10
	for i := 0; i < cyrusTxns; i++ {
		in.WriteString("BEGIN\n")
		for j := 0; j < cyrusKeys; j++ {
			k := fmt.Sprintf("c%03d-%02d", i, j)
			v := strings.Repeat("c", (i*j)%150)
			fmt.Fprintf(&in, "SET {%d+}\r\n%s {%d+}\r\n%s\n", len(k), k, len(v), v)
		}
		in.WriteString("COMMIT\n")
	}
	cyrus := asCyrus("", realDBTool, "-C", rc.conf, path, "twoskip", "batch")
	cyrus.Stdin = strings.NewReader(in.String())
	var cyrusOut bytes.Buffer
	cyrus.Stdout, cyrus.Stderr = &cyrusOut, &cyrusOut
	const workers, txns = 3, 300
	var cmds []*exec.Cmd
	for w := 0; w < workers; w++ {
		cmd := asCyrus(fmt.Sprintf("GYRUS_TWOSKIP_WORKER=counter:%s:%d,%d,1", path, w, txns), worker, "-test.run=^$")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	start := time.Now()
	if err := cyrus.Start(); err != nil {
		t.Fatal(err)
	}
	cyrusDone := make(chan error, 1)
	go func() { cyrusDone <- cyrus.Wait() }()
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("gyrus worker: %v", err)
		}
	}
	gyrusTook := time.Since(start)
	if err := <-cyrusDone; err != nil || bytes.Contains(cyrusOut.Bytes(), []byte("FAILED")) {
		t.Fatalf("real cyr_dbtool batch: %v %s", err, cyrusOut.String())
	}
	t.Logf("Gyrus workers done after %v, Cyrus after %v", gyrusTook.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	db := openT(t, path, 0)
	got := map[string]string{}
	if err := db.Foreach(nil, func(k, v []byte) error { got[string(k)] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	if got["counter"] != fmt.Sprint(workers*txns) {
		t.Fatalf("counter = %q, want %d", got["counter"], workers*txns)
	}
	if len(got) != 1+workers*txns+cyrusTxns*cyrusKeys {
		t.Fatalf("%d keys, want %d", len(got), 1+workers*txns+cyrusTxns*cyrusKeys)
	}
	if show := rc.run(t, path, "show"); !bytes.Equal(show, sortedPairs(got)) {
		t.Fatal("real Cyrus shows different contents")
	}
	if out := rc.run(t, path, "consistent"); string(out) != "Yes, consistent\n" {
		t.Fatalf("real Cyrus: %q", out)
	}
}
