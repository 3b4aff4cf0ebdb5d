package twoskip

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"gyrus/lib/cyrusdb"
)

func openT(t testing.TB, path string, flags cyrusdb.Flags) *cyrusdb.DB {
	t.Helper()
	db, err := cyrusdb.Open(path, "twoskip", flags)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// contents reads the whole database with Foreach.
func contents(t testing.TB, db *cyrusdb.DB) map[string]string {
	t.Helper()
	m := map[string]string{}
	var last []byte
	err := db.Foreach(nil, func(k, v []byte) error {
		if last != nil && bytes.Compare(k, last) <= 0 {
			return fmt.Errorf("order: %q after %q", k, last)
		}
		last = append(last[:0], k...)
		m[string(k)] = string(v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randKey(r *rand.Rand) []byte {
	n := 1 + r.IntN(12)
	b := make([]byte, n)
	for i := range b {
		if r.IntN(4) == 0 {
			b[i] = byte(r.IntN(256)) // binary, including NUL/TAB/LF/0xFF
		} else {
			b[i] = 'a' + byte(r.IntN(4))
		}
	}
	return b
}

func TestModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db := openT(t, path, cyrusdb.Create|cyrusdb.NoSync)
	r := rand.New(rand.NewPCG(1, 2))
	model := map[string]string{}
	for round := 0; round < 400; round++ {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		pending := map[string]*string{}
		get := func(k string) (string, bool) {
			if p, ok := pending[k]; ok {
				if p == nil {
					return "", false
				}
				return *p, true
			}
			v, ok := model[k]
			return v, ok
		}
		for op := 0; op < 1+r.IntN(20); op++ {
			k := randKey(r)
			switch r.IntN(5) {
			case 0, 1:
				v := fmt.Sprintf("v%d-%d%s", round, op, bytes.Repeat([]byte{0, '\t', 0xff}, r.IntN(3)))
				if err := tx.Store(k, []byte(v)); err != nil {
					t.Fatal(err)
				}
				pending[string(k)] = &v
			case 2:
				if err := tx.Delete(k); err != nil {
					t.Fatal(err)
				}
				pending[string(k)] = nil
			case 3:
				got, err := tx.Fetch(k)
				want, ok := get(string(k))
				if ok != (err == nil) || (ok && string(got) != want) {
					t.Fatalf("round %d fetch %q = %q,%v want %q,%v", round, k, got, err, want, ok)
				}
				if !ok && !errors.Is(err, cyrusdb.ErrNotFound) {
					t.Fatalf("fetch missing: %v", err)
				}
			case 4:
				err := tx.Create(k, []byte("c"))
				if _, ok := get(string(k)); ok {
					if !errors.Is(err, cyrusdb.ErrExists) {
						t.Fatalf("create existing: %v", err)
					}
				} else {
					if err != nil {
						t.Fatal(err)
					}
					c := "c"
					pending[string(k)] = &c
				}
			}
		}
		if r.IntN(5) == 0 {
			if err := tx.Abort(); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			for k, p := range pending {
				if p == nil {
					delete(model, k)
				} else {
					model[k] = *p
				}
			}
		}
		if round%50 == 0 {
			if err := db.Consistent(); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
	check := func(db *cyrusdb.DB) {
		t.Helper()
		got := contents(t, db)
		if len(got) != len(model) {
			t.Fatalf("have %d keys, want %d", len(got), len(model))
		}
		for k, v := range model {
			if got[k] != v {
				t.Fatalf("key %q = %q want %q", k, got[k], v)
			}
		}
		if err := db.Consistent(); err != nil {
			t.Fatal(err)
		}
	}
	check(db)
	if err := db.Repack(); err != nil {
		t.Fatal(err)
	}
	check(db)
	db2 := openT(t, path, 0)
	check(db2)
	info, _ := db2.Engine().(*DB).Info()
	if info.Generation < 2 || info.NumRecords != uint64(len(model)) {
		t.Fatalf("info after repack: %+v", info)
	}
}

func TestPrefixAndFetchNext(t *testing.T) {
	db := openT(t, filepath.Join(t.TempDir(), "p.db"), cyrusdb.Create|cyrusdb.NoSync)
	keys := []string{"a", "ab", "abc", "abd", "b", "ba", "c"}
	for _, k := range keys {
		if err := db.Store([]byte(k), []byte("v"+k)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	db.Foreach([]byte("ab"), func(k, v []byte) error { got = append(got, string(k)); return nil })
	if fmt.Sprint(got) != "[ab abc abd]" {
		t.Fatalf("prefix ab: %v", got)
	}
	stop := errors.New("stop")
	got = nil
	err := db.Foreach(nil, func(k, v []byte) error {
		got = append(got, string(k))
		if len(got) == 3 {
			return stop
		}
		return nil
	})
	if err != stop || len(got) != 3 {
		t.Fatalf("stop: %v %v", err, got)
	}
	tx, _ := db.BeginRead()
	defer tx.Abort()
	k, v, err := tx.FetchNext([]byte("abc"))
	if string(k) != "abd" || string(v) != "vabd" || err != nil {
		t.Fatalf("FetchNext = %q %q %v", k, v, err)
	}
	k, _, _ = tx.FetchNext(nil)
	if string(k) != "a" {
		t.Fatalf("FetchNext(nil) = %q", k)
	}
	if _, _, err := tx.FetchNext([]byte("c")); !errors.Is(err, cyrusdb.ErrNotFound) {
		t.Fatalf("FetchNext at end: %v", err)
	}
	if err := tx.Store([]byte("x"), nil); !errors.Is(err, cyrusdb.ErrReadOnly) {
		t.Fatalf("store in read tx: %v", err)
	}
}

// Writes from inside Foreach, through the DB (no transaction) and
// through the transaction.
func TestForeachWrites(t *testing.T) {
	db := openT(t, filepath.Join(t.TempDir(), "w.db"), cyrusdb.Create|cyrusdb.NoSync)
	for i := 0; i < 1000; i++ {
		db.Store([]byte(fmt.Sprintf("k%04d", i)), []byte("x"))
	}
	n := 0
	err := db.Foreach([]byte("k"), func(k, v []byte) error {
		n++
		return db.Delete(k)
	})
	if err != nil || n != 1000 || len(contents(t, db)) != 0 {
		t.Fatalf("delete in DB.Foreach: %v n=%d left=%d", err, n, len(contents(t, db)))
	}
	for i := 0; i < 100; i++ {
		db.Store([]byte(fmt.Sprintf("k%04d", i)), []byte("x"))
	}
	tx, _ := db.Begin()
	n = 0
	err = tx.Foreach(nil, func(k, v []byte) error {
		n++
		if err := tx.Delete(k); err != nil {
			return err
		}
		// An insert after the cursor is seen, one before it is not.
		if string(k) == "k0050" {
			tx.Store([]byte("k0050a"), []byte("y"))
			tx.Store([]byte("a"), []byte("y"))
		}
		return nil
	})
	if err != nil || n != 101 {
		t.Fatalf("tx foreach: %v n=%d", err, n)
	}
	tx.Commit()
	got := contents(t, db)
	if len(got) != 1 || got["a"] != "y" {
		t.Fatalf("left: %v", got)
	}
}

func TestLongKeysAndValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	db := openT(t, path, cyrusdb.Create|cyrusdb.NoSync)
	big := bytes.Repeat([]byte("k"), 70000) // keylen >= 0xFFFF: 64-bit length
	val := bytes.Repeat([]byte{0, 1, 2}, 100000)
	if err := db.Store(big, val); err != nil {
		t.Fatal(err)
	}
	db.Store([]byte("small"), []byte(""))
	got, err := db.Fetch(big)
	if err != nil || !bytes.Equal(got, val) {
		t.Fatalf("fetch big: %v", err)
	}
	if v, err := db.Fetch([]byte("small")); err != nil || len(v) != 0 {
		t.Fatalf("empty value: %q %v", v, err)
	}
	if err := db.Consistent(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openT(t, path, 0)
	if got, _ := db.Fetch(big); !bytes.Equal(got, val) {
		t.Fatal("after reopen")
	}
}

func TestMboxSort(t *testing.T) {
	db := openT(t, filepath.Join(t.TempDir(), "mb.db"), cyrusdb.Create|cyrusdb.MboxSort|cyrusdb.NoSync)
	for _, k := range []string{"user.a b", "user.a", "user.a.b", "user.ab"} {
		db.Store([]byte(k), nil)
	}
	var got []string
	db.Foreach(nil, func(k, v []byte) error { got = append(got, string(k)); return nil })
	want := []string{"user.a", "user.a.b", "user.a b", "user.ab"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("mbox order %q want %q", got, want)
	}
}

func TestNotFoundAndDetect(t *testing.T) {
	dir := t.TempDir()
	if _, err := cyrusdb.Open(filepath.Join(dir, "none.db"), "twoskip", 0); !errors.Is(err, cyrusdb.ErrNotFound) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	p := filepath.Join(dir, "sub", "dir", "x.db")
	db := openT(t, p, cyrusdb.Create)
	db.Close()
	if be, err := cyrusdb.Detect(p); be != "twoskip" || err != nil {
		t.Fatalf("detect = %q %v", be, err)
	}
	st, _ := os.Stat(p)
	if st.Size() != 336 {
		t.Fatalf("empty db is %d bytes, want 336", st.Size())
	}
}

// Many goroutines, each with its own handle, increment a counter.
func TestGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	openT(t, path, cyrusdb.Create).Close()
	const workers, each = 6, 150
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			db, err := cyrusdb.Open(path, "twoskip", cyrusdb.NoSync)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			for i := 0; i < each; i++ {
				tx, v, err := db.FetchLock([]byte("counter"))
				if err != nil && !errors.Is(err, cyrusdb.ErrNotFound) {
					errs <- err
					return
				}
				var n int
				fmt.Sscan(string(v), &n)
				tx.Store([]byte("counter"), []byte(fmt.Sprint(n+1)))
				tx.Store([]byte(fmt.Sprintf("w%d-%d", w, i)), []byte("x"))
				if err := tx.Commit(); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(w)
	}
	// A shared handle used from several goroutines at once, too.
	shared := openT(t, path, cyrusdb.NoSync)
	done := make(chan bool)
	go func() {
		for i := 0; i < 200; i++ {
			shared.Fetch([]byte("counter"))
		}
		done <- true
	}()
	for i := 0; i < 200; i++ {
		shared.Foreach([]byte("w1-"), func(k, v []byte) error { return nil })
	}
	<-done
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	db := openT(t, path, 0)
	c := contents(t, db)
	if c["counter"] != fmt.Sprint(workers*each) || len(c) != workers*each+1 {
		t.Fatalf("counter=%s keys=%d", c["counter"], len(c))
	}
	if err := db.Consistent(); err != nil {
		t.Fatal(err)
	}
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// The short-input CRC loop agrees with hash/crc32 at every length and
// alignment that matters.
func TestCRC(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 300)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for off := 0; off < 8; off++ {
		for n := 0; off+n <= len(buf); n++ {
			b := buf[off : off+n]
			if got, want := crc(b), crc32.ChecksumIEEE(b); got != want {
				t.Fatalf("crc of %d bytes at %d = %08X, want %08X", n, off, got, want)
			}
		}
	}
}

// A Tx.Foreach callback that writes enough to flush the append buffer
// and to remap the growing file still holds valid key and value slices
// after its writes.
func TestForeachWritesRemap(t *testing.T) {
	old := flushAt
	flushAt = 8 << 10
	defer func() { flushAt = old }()
	db := openT(t, filepath.Join(t.TempDir(), "r.db"), cyrusdb.Create|cyrusdb.NoSync|cyrusdb.NoCompact)
	tx, _ := db.Begin()
	for i := 0; i < 300; i++ {
		tx.Store([]byte(fmt.Sprintf("a%04d", i)), bytes.Repeat([]byte{byte(i)}, 50))
	}
	tx.Commit()
	big := bytes.Repeat([]byte("B"), 16<<10)
	tx, _ = db.Begin()
	defer tx.Abort()
	n := 0
	err := tx.Foreach([]byte("a"), func(k, v []byte) error {
		want := bytes.Repeat([]byte{byte(n)}, 50)
		// 300 x 16 KiB: the file outgrows its first mapping.
		if err := tx.Store([]byte(fmt.Sprintf("b%04d", n)), big); err != nil {
			return err
		}
		if string(k) != fmt.Sprintf("a%04d", n) || !bytes.Equal(v, want) {
			return fmt.Errorf("record %d after writes: %q = %x", n, k, v)
		}
		n++
		return nil
	})
	if err != nil || n != 300 {
		t.Fatalf("foreach: %v after %d", err, n)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, db); len(got) != 600 || got["b0299"] != string(big) {
		t.Fatalf("%d keys after commit", len(got))
	}
}
