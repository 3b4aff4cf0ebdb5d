package skiplist

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/twoskip"
)

// build makes a small skiplist image: header, DUMMY (maxlevel 2), one
// INORDER record, then a log with a committed ADD+DELETE and an
// uncommitted ADD.
func build() []byte {
	var b []byte
	u := func(x uint32) { b = binary.BigEndian.AppendUint32(b, x) }
	str := func(s string) {
		u(uint32(len(s)))
		b = append(b, s...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	rec := func(typ uint32, k, v string, level int) int {
		off := len(b)
		u(typ)
		str(k)
		str(v)
		for i := 0; i < level; i++ {
			u(0)
		}
		u(0xFFFFFFFF)
		return off
	}
	b = append(b, cyrusdb.MagicSkiplist...)
	u(1) // version
	u(2) // minor
	u(2) // maxlevel
	u(1) // curlevel
	u(1) // listsize
	u(0) // logstart (fixed below)
	u(0) // last recovery
	rec(tDummy, "", "", 2)
	in := rec(tInorder, "apple", "pie", 1)
	binary.BigEndian.PutUint32(b[40:], uint32(len(b)))
	rec(tAdd, "foo", "bar", 1)
	u(tDelete)
	u(uint32(in))
	u(tCommit)
	rec(tAdd, "uncommitted", "x", 1)
	return b
}

func TestParse(t *testing.T) {
	m, err := Parse("x", build())
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || string(m["foo"]) != "bar" {
		t.Fatalf("got %q", m)
	}
	path := filepath.Join(t.TempDir(), "s.db")
	os.WriteFile(path, build(), 0o600)
	db, err := cyrusdb.Open(path, "skiplist", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Fetch([]byte("foo")); err != nil || string(v) != "bar" {
		t.Fatalf("fetch %q %v", v, err)
	}
	if err := db.Store([]byte("a"), nil); !errors.Is(err, cyrusdb.ErrNotImplemented) {
		t.Fatalf("store: %v", err)
	}
	// Opening it as twoskip finds the real backend by its magic.
	db2, err := cyrusdb.Open(path, "twoskip", 0)
	if err != nil || db2.Backend() != "skiplist" {
		t.Fatalf("detect: %v", err)
	}
	db2.Close()
}

// FuzzParse: any bytes give a map or an error naming file and offset.
func FuzzParse(f *testing.F) {
	f.Add(build())
	f.Add(build()[:60])
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fz", data)
		var ce *cyrusdb.CorruptError
		if err != nil && !errors.Is(err, cyrusdb.ErrFormat) && !(errors.As(err, &ce) && ce.Path == "fz") {
			t.Fatalf("error %v", err)
		}
	})
}
