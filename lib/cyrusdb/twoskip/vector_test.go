package twoskip

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gyrus/lib/cyrusdb"
)

// vectorBytes is the 472-byte file of formats-test-vectors.md §1 (kept in
// testdata as the xxd dump printed there), written by real Cyrus 3.6.1
// with `cyr_dbtool -n t.db twoskip set foo bar` then `set apple pie` (foo
// drew level 2, apple level 1).
func vectorBytes(t *testing.T) []byte {
	t.Helper()
	text, err := os.ReadFile("testdata/vector472.xxd")
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for _, line := range strings.Split(string(text), "\n") {
		if len(line) < 10 {
			continue
		}
		hexpart := line[10:]
		if len(hexpart) > 40 {
			hexpart = hexpart[:40]
		}
		x, err := hex.DecodeString(strings.ReplaceAll(hexpart, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, x...)
	}
	if len(b) != 472 {
		t.Fatalf("vector is %d bytes", len(b))
	}
	return b
}

func fixedLevels(levels ...uint8) func() uint8 {
	return func() uint8 {
		l := levels[0]
		levels = levels[1:]
		return l
	}
}

func TestVector472(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	d, err := Open(path, cyrusdb.Options{Flags: cyrusdb.Create})
	if err != nil {
		t.Fatal(err)
	}
	d.newLevel = fixedLevels(2, 1)
	for _, kv := range [][2]string{{"foo", "bar"}, {"apple", "pie"}} {
		tx, err := d.Begin(true)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Store([]byte(kv[0]), []byte(kv[1])); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	got, _ := os.ReadFile(path)
	want := vectorBytes(t)
	if !bytes.Equal(got, want) {
		t.Fatalf("file differs from the Cyrus vector\ngot:\n%s\nwant:\n%s", hex.Dump(got), hex.Dump(want))
	}
}

func TestReadVector472(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	os.WriteFile(path, vectorBytes(t), 0o600)
	db, err := cyrusdb.Open(path, "twoskip", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got []string
	if err := db.Foreach(nil, func(k, v []byte) error {
		got = append(got, string(k)+"="+string(v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "apple=pie,foo=bar" {
		t.Fatalf("got %v", got)
	}
	if err := db.Consistent(); err != nil {
		t.Fatal(err)
	}
	var dump bytes.Buffer
	if err := db.Dump(&dump, 1); err != nil {
		t.Fatal(err)
	}
	wantDump := "HEADER: v=1 fl=0 num=2 sz=(000001D8/00000150)\n" +
		"00000040 DUMMY kl=0 dl=0 lvl=31 ()\n" +
		"\t00000198 \n" +
		"\t00000150 00000150 00000000 00000000 00000000 00000000 00000000 00000000 \n" +
		"\t00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 \n" +
		"\t00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 \n" +
		"\t00000000 00000000 00000000 00000000 00000000 00000000 00000000 \n" +
		"00000150 RECORD kl=3 dl=3 lvl=2 (foo)\n" +
		"\t00000000 \n" +
		"\t00000000 00000000 \n" +
		"00000180 COMMIT start=00000150\n" +
		"00000198 RECORD kl=5 dl=3 lvl=1 (apple)\n" +
		"\t00000000 \n" +
		"\t00000150 \n" +
		"000001C0 COMMIT start=00000198\n"
	if dump.String() != wantDump {
		t.Fatalf("dump:\n%s\nwant:\n%s", dump.String(), wantDump)
	}
}
