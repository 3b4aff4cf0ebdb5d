package flat

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"gyrus/lib/cyrusdb"
)

func TestFileFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.sub")
	db, err := cyrusdb.Open(path, "flat", cyrusdb.Create|cyrusdb.NoSync)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, _ := db.Begin()
	tx.Store([]byte("user.b"), []byte("1"))
	tx.Store([]byte("user.a b"), []byte("v\tw"))
	tx.Store([]byte("user.a"), []byte(""))
	tx.Store([]byte("user.a.x"), []byte("\x00\r\n\xff"))
	tx.Store([]byte("k\xffz"), []byte("x"))
	if v, _ := tx.Fetch([]byte("user.a b")); string(v) != "v\tw" {
		t.Fatalf("read own write: %q", v)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "k\xff\xffz\tx\n" +
		"user.a\t\n" +
		"user.a.x\t\xff\x80\xff\x8d\xff\x8a\xff\xff\n" +
		"user.a b\tv\xff\x89w\n" +
		"user.b\t1\n"
	if string(got) != want {
		t.Fatalf("file:\n%q\nwant\n%q", got, want)
	}
	if v, err := db.Fetch([]byte("user.a.x")); err != nil || string(v) != "\x00\r\n\xff" {
		t.Fatalf("fetch = %q %v", v, err)
	}
	var keys []string
	db.Foreach([]byte("user.a"), func(k, v []byte) error { keys = append(keys, string(k)); return nil })
	if fmt.Sprint(keys) != "[user.a user.a.x user.a b]" {
		t.Fatalf("prefix scan %q", keys)
	}
	db.Delete([]byte("user.a.x"))
	db.Delete([]byte("missing"))
	got, _ = os.ReadFile(path)
	if bytes.Contains(got, []byte("user.a.x")) {
		t.Fatal("delete left the line")
	}
	if err := db.Create([]byte("user.b"), nil); !errors.Is(err, cyrusdb.ErrExists) {
		t.Fatalf("create existing: %v", err)
	}
}

func TestModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.flat")
	db, err := cyrusdb.Open(path, "flat", cyrusdb.Create|cyrusdb.NoSync)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := rand.New(rand.NewPCG(3, 4))
	model := map[string]string{}
	for round := 0; round < 300; round++ {
		tx, _ := db.Begin()
		pend := map[string]*string{}
		for i := 0; i < 1+r.IntN(10); i++ {
			k := make([]byte, 1+r.IntN(6))
			for j := range k {
				alpha := "ab.\x00\t\n\xff z"
				k[j] = alpha[r.IntN(len(alpha))]
			}
			if r.IntN(3) == 0 {
				tx.Delete(k)
				pend[string(k)] = nil
			} else {
				v := fmt.Sprintf("%d\n%d", round, i)
				tx.Store(k, []byte(v))
				pend[string(k)] = &v
			}
		}
		// Foreach inside the writing transaction sees the merge.
		n := 0
		tx.Foreach(nil, func(k, v []byte) error { n++; return nil })
		want := len(model)
		for k, p := range pend {
			_, in := model[k]
			if p == nil && in {
				want--
			} else if p != nil && !in {
				want++
			}
		}
		if n != want {
			t.Fatalf("round %d: foreach in tx saw %d, want %d", round, n, want)
		}
		if r.IntN(4) == 0 {
			tx.Abort()
			continue
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		for k, p := range pend {
			if p == nil {
				delete(model, k)
			} else {
				model[k] = *p
			}
		}
	}
	got := map[string]string{}
	var prev []byte
	db.Foreach(nil, func(k, v []byte) error {
		if prev != nil && db.Engine().Compare(prev, k) >= 0 {
			t.Fatalf("order %q %q", prev, k)
		}
		prev = append(prev[:0], k...)
		got[string(k)] = string(v)
		return nil
	})
	if fmt.Sprint(got) != fmt.Sprint(model) {
		t.Fatalf("contents differ:\n%v\n%v", got, model)
	}
	for k, v := range model {
		if g, err := db.Fetch([]byte(k)); err != nil || string(g) != v {
			t.Fatalf("fetch %q = %q %v", k, g, err)
		}
	}
}

func TestRefusesTwoskip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	os.WriteFile(path, append(append([]byte{}, cyrusdb.MagicTwoskip...), make([]byte, 100)...), 0o600)
	if _, err := Open(path, cyrusdb.Options{}); !errors.Is(err, cyrusdb.ErrFormat) {
		t.Fatalf("got %v", err)
	}
}

// FuzzRead: any file content gives answers or errors naming the file and
// offset, never a panic.
func FuzzRead(f *testing.F) {
	f.Add([]byte("a\t1\nb\t2\n"))
	f.Add([]byte("a\t1\nb"))
	f.Add([]byte("no tab\n"))
	f.Add([]byte("\xff"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "f.flat")
		os.WriteFile(path, data, 0o600)
		db, err := cyrusdb.Open(path, "flat", cyrusdb.NoSync)
		if err != nil {
			return
		}
		defer db.Close()
		check := func(err error) {
			var ce *cyrusdb.CorruptError
			if err != nil && !errors.Is(err, cyrusdb.ErrNotFound) && !(errors.As(err, &ce) && ce.Path == path) {
				t.Fatalf("unexpected error %v", err)
			}
		}
		check(db.Foreach(nil, func(k, v []byte) error { return nil }))
		_, err = db.Fetch([]byte("a"))
		check(err)
		check(db.Store([]byte("m"), []byte("x")))
	})
}
