package cyrusdb_test

// Compatibility with the real Cyrus 3.6.1 cyr_dbtool (installed with the
// oracle): Gyrus writes, Cyrus reads and checks; Cyrus writes, Gyrus
// reads. Skipped when the tool is not installed or we are not root (it
// must run as the cyrus user).

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends"
)

const realDBTool = "/usr/lib/cyrus/bin/cyr_dbtool"

type realCyrus struct {
	dir, conf string
}

func newRealCyrus(t *testing.T, extraConf string) *realCyrus {
	t.Helper()
	if _, err := os.Stat(realDBTool); err != nil {
		t.Skip("real Cyrus cyr_dbtool not installed:", err)
	}
	if os.Getuid() != 0 {
		t.Skip("running the real cyr_dbtool as user cyrus needs root")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv not available")
	}
	dir, err := os.MkdirTemp("", "gyrus-cyrusdb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	conf := filepath.Join(dir, "imapd.conf")
	os.WriteFile(conf, []byte("configdirectory: "+dir+"/conf\npartition-default: "+dir+"/spool\n"+extraConf), 0o644)
	r := &realCyrus{dir: dir, conf: conf}
	r.chown()
	return r
}

func (r *realCyrus) chown() {
	exec.Command("chown", "-R", "cyrus:mail", r.dir).Run()
}

// run runs the real cyr_dbtool as cyrus.
func (r *realCyrus) run(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	r.chown()
	a := append([]string{"--reuid=cyrus", "--regid=mail", "--init-groups", realDBTool, "-C", r.conf}, args...)
	cmd := exec.Command("setpriv", a...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("cyr_dbtool %v: %v\n%s", args, err, errb.String())
	}
	if errb.Len() > 0 && bytes.Contains(errb.Bytes(), []byte("FAILED")) {
		t.Fatalf("cyr_dbtool %v: %s", args, errb.String())
	}
	return out.Bytes()
}

type pair struct{ k, v string }

// showBytes is what `cyr_dbtool show` prints for these pairs in this order.
func showBytes(ps []pair) []byte {
	var b bytes.Buffer
	for _, p := range ps {
		b.WriteString(p.k + "\t" + p.v + "\n")
	}
	return b.Bytes()
}

// gyrusPairs reads db in its order.
func gyrusPairs(t *testing.T, db *cyrusdb.DB) []pair {
	var ps []pair
	if err := db.Foreach(nil, func(k, v []byte) error {
		ps = append(ps, pair{string(k), string(v)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ps
}

func randBytes(r *rand.Rand, n int, binary bool) string {
	b := make([]byte, n)
	for i := range b {
		if binary && r.IntN(3) == 0 {
			b[i] = byte(r.IntN(256))
		} else {
			b[i] = "abcdefghijklmnopqrstuvwxyz.0123456789"[r.IntN(37)]
		}
	}
	return string(b)
}

// fill writes ~n keys in many transactions with deletes and replaces.
func fill(t *testing.T, db *cyrusdb.DB, n int, binary bool) {
	r := rand.New(rand.NewPCG(11, 12))
	var keys []string
	for len(keys) < n {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 1+r.IntN(200) && len(keys) < n; i++ {
			k := fmt.Sprintf("key%06d.", len(keys)) + randBytes(r, r.IntN(20), binary)
			v := randBytes(r, r.IntN(100), binary)
			if err := tx.Store([]byte(k), []byte(v)); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
			if r.IntN(10) == 0 {
				tx.Delete([]byte(keys[r.IntN(len(keys))]))
			}
			if r.IntN(10) == 0 {
				tx.Store([]byte(keys[r.IntN(len(keys))]), []byte(randBytes(r, 5, binary)))
			}
		}
		if r.IntN(8) == 0 {
			tx.Abort()
			continue
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRealCyrusReadsGyrusTwoskip(t *testing.T) {
	rc := newRealCyrus(t, "")
	path := filepath.Join(rc.dir, "conf", "g.db")
	db, err := cyrusdb.Open(path, "twoskip", cyrusdb.Create|cyrusdb.NoSync)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fill(t, db, 10000, true)
	want := showBytes(gyrusPairs(t, db))
	got := rc.run(t, nil, path, "twoskip", "show")
	if !bytes.Equal(got, want) {
		t.Fatalf("real cyr_dbtool show differs from Gyrus (%d vs %d bytes)", len(got), len(want))
	}
	if out := rc.run(t, nil, path, "twoskip", "consistent"); string(out) != "Yes, consistent\n" {
		t.Fatalf("real consistent: %q", out)
	}
	// After a Gyrus repack too.
	if err := db.Repack(); err != nil {
		t.Fatal(err)
	}
	if got := rc.run(t, nil, path, "twoskip", "show"); !bytes.Equal(got, want) {
		t.Fatal("real show differs after Gyrus repack")
	}
	if out := rc.run(t, nil, path, "twoskip", "consistent"); string(out) != "Yes, consistent\n" {
		t.Fatalf("real consistent after repack: %q", out)
	}
}

// literal quotes b for cyr_dbtool batch input.
func literal(b string) string { return fmt.Sprintf("{%d+}\r\n%s", len(b), b) }

func TestGyrusReadsRealCyrus(t *testing.T) {
	for _, backend := range []string{"twoskip", "flat", "skiplist"} {
		t.Run(backend, func(t *testing.T) {
			rc := newRealCyrus(t, "")
			path := filepath.Join(rc.dir, "conf", "c."+backend)
			r := rand.New(rand.NewPCG(5, 6))
			model := map[string]string{}
			var in strings.Builder
			n := 3000
			for i := 0; i < n; i++ {
				if i%100 == 0 {
					in.WriteString("BEGIN\n")
				}
				k := fmt.Sprintf("k%05d", i) + randBytes(r, r.IntN(10), true)
				v := randBytes(r, r.IntN(60), true)
				in.WriteString("SET " + literal(k) + " " + literal(v) + "\n")
				model[k] = v
				if i%7 == 0 {
					var victim string
					for victim = range model {
						break
					}
					in.WriteString("DELETE " + literal(victim) + "\n")
					delete(model, victim)
				}
				if i%100 == 99 {
					in.WriteString("COMMIT\n")
				}
			}
			rc.run(t, []byte(in.String()), "-n", path, backend, "batch")
			rc.run(t, nil, path, backend, "show") // let Cyrus settle (recovery etc.)
			db, err := cyrusdb.Open(path, backend, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			got := gyrusPairs(t, db)
			if len(got) != len(model) {
				t.Fatalf("Gyrus sees %d keys, Cyrus wrote %d", len(got), len(model))
			}
			for _, p := range got {
				if model[p.k] != p.v {
					t.Fatalf("key %q: Gyrus %q, Cyrus wrote %q", p.k, p.v, model[p.k])
				}
			}
			// Same order as Cyrus's own show.
			if real := rc.run(t, nil, path, backend, "show"); !bytes.Equal(real, showBytes(got)) {
				t.Fatal("Gyrus order differs from real cyr_dbtool show")
			}
			if err := db.Consistent(); err != nil {
				t.Fatal(err)
			}
			if backend == "twoskip" {
				// Gyrus writes into the Cyrus file; Cyrus still agrees.
				fill(t, db, 500, true)
				if real := rc.run(t, nil, path, backend, "show"); !bytes.Equal(real, showBytes(gyrusPairs(t, db))) {
					t.Fatal("real show differs after Gyrus writes into a Cyrus file")
				}
				if out := rc.run(t, nil, path, "twoskip", "consistent"); string(out) != "Yes, consistent\n" {
					t.Fatalf("real consistent: %q", out)
				}
			}
		})
	}
}

func TestRealCyrusReadsGyrusFlat(t *testing.T) {
	rc := newRealCyrus(t, "")
	path := filepath.Join(rc.dir, "conf", "g.flat")
	db, err := cyrusdb.Open(path, "flat", cyrusdb.Create|cyrusdb.NoSync)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fill(t, db, 10000, true)
	want := gyrusPairs(t, db)
	if got := rc.run(t, nil, path, "flat", "show"); !bytes.Equal(got, showBytes(want)) {
		t.Fatalf("real show of a Gyrus flat file differs (%d vs %d bytes)", len(got), len(showBytes(want)))
	}
	// Point lookups through Cyrus's binary search (each one a cyr_dbtool
	// process: a few spread over the file are enough).
	r := rand.New(rand.NewPCG(1, 9))
	for i := 0; i < 8; i++ {
		p := want[r.IntN(len(want))]
		if strings.ContainsAny(p.k, "\t\n\x00") || strings.ContainsAny(p.v, "\n\x00") {
			continue
		}
		if got := rc.run(t, nil, path, "flat", "get", p.k); string(got) != p.v+"\n" {
			t.Fatalf("real get %q = %q, want %q", p.k, got, p.v)
		}
	}
}

func TestQuotaLegacyWithRealCyrus(t *testing.T) {
	for _, vd := range []bool{false, true} {
		t.Run(fmt.Sprintf("virtdomains=%v", vd), func(t *testing.T) {
			extra := ""
			if vd {
				extra = "virtdomains: userid\n"
			}
			rc := newRealCyrus(t, extra)
			path := filepath.Join(rc.dir, "conf", "quotas.db")
			// Cyrus writes, including the legacy two-line form.
			rc.run(t, nil, path, "quotalegacy", "set", "user.alice", "%(S (100 2048) M (3 10))")
			rc.run(t, nil, path, "quotalegacy", "set", "user.Bob", "12 345")
			rc.run(t, nil, path, "quotalegacy", "set", "shared9", "%(S (0))")
			if vd {
				rc.run(t, nil, path, "quotalegacy", "set", "example.com!user.carol", "%(S (1 2))")
				rc.run(t, nil, path, "quotalegacy", "set", "example.com!", "%(S (5 6))")
			}
			db, err := cyrusdb.OpenWith(path, "quotalegacy", cyrusdb.Options{VirtDomains: vd})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if b, err := os.ReadFile(filepath.Join(rc.dir, "conf/quota/b/user.Bob")); err != nil || string(b) != "12\n345\n" {
				t.Fatalf("legacy file = %q %v", b, err)
			}
			if v, err := db.Fetch([]byte("user.Bob")); err != nil || string(v) != "12 345" {
				t.Fatalf("legacy value: %q %v", v, err)
			}
			// Gyrus writes more; Cyrus lists everything in the same order.
			db.Store([]byte("user.dave.sub"), []byte("%(S (7 8))"))
			db.Store([]byte("user.eve"), []byte("1 2"))
			db.Delete([]byte("shared9"))
			if vd {
				db.Store([]byte("example.org!user.zed"), []byte("%(M (1))"))
				db.Store([]byte("example.org!"), []byte("%(M (9))"))
			}
			got := gyrusPairs(t, db)
			real := rc.run(t, nil, path, "quotalegacy", "show")
			if !bytes.Equal(real, showBytes(got)) {
				t.Fatalf("show differs:\nreal:\n%s\ngyrus:\n%s", real, showBytes(got))
			}
			if b, _ := os.ReadFile(filepath.Join(rc.dir, "conf/quota/e/user.eve")); string(b) != "1\n2\n" {
				t.Fatalf("Gyrus legacy write = %q", b)
			}
			if vd {
				if _, err := os.Stat(filepath.Join(rc.dir, "conf/domain/e/example.org/quota/root")); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(rc.dir, "conf/domain/e/example.org/quota/z/user.zed")); err != nil {
					t.Fatal(err)
				}
				if got := rc.run(t, nil, path, "quotalegacy", "get", "example.org!user.zed"); string(got) != "%(M (1))\n" {
					t.Fatalf("real get = %q", got)
				}
				var pre []string
				db.Foreach([]byte("example.com!"), func(k, v []byte) error { pre = append(pre, string(k)); return nil })
				sort.Strings(pre)
				if fmt.Sprint(pre) != "[example.com! example.com!user.carol]" {
					t.Fatalf("domain prefix scan: %v", pre)
				}
			}
		})
	}
}
