package twoskip

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gyrus/lib/cyrusdb"
)

// FuzzOpen: opening, reading, checking and dumping any file never panics
// or hangs, and damage is reported as an error naming the file (with an
// offset for *CorruptError).
func FuzzOpen(f *testing.F) {
	f.Add([]byte{})
	// Seeds: a valid two-key file, a truncated one, one with a bad byte.
	dir := f.TempDir()
	p := filepath.Join(dir, "seed.db")
	db, _ := cyrusdb.Open(p, "twoskip", cyrusdb.Create|cyrusdb.NoSync)
	db.Store([]byte("foo"), []byte("bar"))
	db.Store([]byte("apple"), []byte("pie"))
	tx, _ := db.Begin()
	tx.Store([]byte("uncommitted"), []byte("x"))
	tx.Delete([]byte("foo"))
	tx.Abort()
	db.Close()
	good, _ := os.ReadFile(p)
	f.Add(good)
	f.Add(good[:len(good)-8])
	bad := append([]byte(nil), good...)
	bad[0x150+9] ^= 0x40
	f.Add(bad)
	dirty := append([]byte(nil), good...)
	dirty[59] = 1 // DIRTY without a fixed CRC
	f.Add(dirty)

	fdir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(fdir, "f.db")
		os.Remove(path + ".NEW")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := cyrusdb.Open(path, "twoskip", cyrusdb.NoSync|cyrusdb.NoCompact)
		if err != nil {
			checkErr(t, path, err)
			return
		}
		defer db.Close()
		n := 0
		err = db.Foreach(nil, func(k, v []byte) error { n++; return nil })
		checkErr(t, path, err)
		_, err = db.Fetch([]byte("foo"))
		if !errors.Is(err, cyrusdb.ErrNotFound) {
			checkErr(t, path, err)
		}
		checkErr(t, path, db.Consistent())
		checkErr(t, path, db.Dump(discard{}, 3))
		if err := db.Store([]byte("new"), []byte("v")); err != nil {
			checkErr(t, path, err)
		}
	})
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

func checkErr(t *testing.T, path string, err error) {
	if err == nil {
		return
	}
	var ce *cyrusdb.CorruptError
	if errors.As(err, &ce) {
		if ce.Path == "" || ce.Offset < 0 {
			t.Fatalf("corrupt error without file/offset: %v", err)
		}
		return
	}
	if errors.Is(err, cyrusdb.ErrFormat) || errors.Is(err, cyrusdb.ErrNotFound) {
		return
	}
	// Other errors (e.g. recovery failures) must still name the file.
	if !containsPath(err.Error(), path) {
		t.Fatalf("error does not name the file: %v", err)
	}
}

func containsPath(s, p string) bool {
	for i := 0; i+len(p) <= len(s); i++ {
		if s[i:i+len(p)] == p {
			return true
		}
	}
	return false
}
