package quotalegacy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gyrus/lib/cyrusdb"
)

// The two file forms Cyrus 3.6.1 writes (formats.md, quotalegacy): the
// dlist "%(STORAGE ...)" on one line, and the old "used\nlimit" text whose
// newline is a space in the value; both end in a newline.
func TestFileForms(t *testing.T) {
	for _, c := range []struct{ file, value string }{
		{"%(STORAGE (1024 100) MESSAGE (3 -1))\n", "%(STORAGE (1024 100) MESSAGE (3 -1))"},
		{"2048\n500\n", "2048 500"},
		{"", ""},
	} {
		v, err := decodeFile("q", []byte(c.file))
		if err != nil || string(v) != c.value {
			t.Errorf("decode %q = %q, %v; want %q", c.file, v, err, c.value)
		}
		if c.file != "" && string(encodeFile(v)) != c.file {
			t.Errorf("encode %q = %q", v, encodeFile(v))
		}
	}
	var ce *cyrusdb.CorruptError
	if _, err := decodeFile("/x/user.bob", []byte("12 3")); !errors.As(err, &ce) || ce.Path != "/x/user.bob" || ce.Offset != 3 {
		t.Fatalf("unterminated file: %v", err)
	}
}

// A store, fetch, foreach and delete through the backend land in one file
// per root under quota/<hash>/, as Cyrus lays them out.
func TestStoreFetchFiles(t *testing.T) {
	dir := t.TempDir()
	db, err := cyrusdb.Open(filepath.Join(dir, "quotas.db"), "quotalegacy", cyrusdb.Create)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Store([]byte("user.bob"), []byte("%(STORAGE (0 10))")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "quota", "b", "user.bob"))
	if err != nil || string(b) != "%(STORAGE (0 10))\n" {
		t.Fatalf("file %q %v", b, err)
	}
	if v, err := db.Fetch([]byte("user.bob")); err != nil || string(v) != "%(STORAGE (0 10))" {
		t.Fatalf("fetch %q %v", v, err)
	}
	n := 0
	db.Foreach(nil, func(k, v []byte) error { n++; return nil })
	if n != 1 {
		t.Fatalf("foreach saw %d", n)
	}
	if err := db.Delete([]byte("user.bob")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Fetch([]byte("user.bob")); !errors.Is(err, cyrusdb.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

// FuzzDecodeFile: any quota file either decodes to a value that encodes
// back to the same bytes, or is reported as corrupt with its path and an
// offset inside it; nothing panics.
func FuzzDecodeFile(f *testing.F) {
	for _, s := range []string{"%(STORAGE (1 2))\n", "1\n2\n", "", "x", "\n", "a b\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeFile("/q/f", b)
		if err != nil {
			var ce *cyrusdb.CorruptError
			if !errors.As(err, &ce) || ce.Path != "/q/f" || ce.Offset < 0 || ce.Offset >= int64(len(b)) {
				t.Fatalf("error without file/offset: %v", err)
			}
			return
		}
		if len(b) == 0 {
			return
		}
		// the old form's first newline became a space; a value that had
		// a space before it cannot tell them apart, so compare values
		v2, err := decodeFile("/q/f", encodeFile(v))
		if err != nil || !bytes.Equal(v, v2) {
			t.Fatalf("round trip %q -> %q -> %q (%v)", b, v, v2, err)
		}
	})
}
