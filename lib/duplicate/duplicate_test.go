package duplicate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKeyRoundTrip(t *testing.T) {
	for _, k := range []Key{
		{"<a@b>", "1uvuof2m9yb7rwut8f1yuxg7", "Mon, 02 Jan 2023 10:00:00 +0000"},
		{"", "", ""},
		{"<x>", ".alice@example.com.sieve.", "vacation"},
	} {
		b := k.Bytes()
		if bytes.Count(b, []byte{0}) != 3 || b[len(b)-1] != 0 {
			t.Errorf("%+v: key %q", k, b)
		}
		got, err := ParseKey(b)
		if err != nil || got != k {
			t.Errorf("%+v: parsed %+v %v", k, got, err)
		}
	}
	// a NUL inside a field ends it, as in C
	if got := (Key{ID: "a\x00b", To: "t", Date: "d"}).Bytes(); string(got) != "a\x00t\x00d\x00" {
		t.Errorf("%q", got)
	}
	for _, bad := range []string{"", "a", "a\x00b\x00", "a\x00b\x00c\x00d\x00", "a\x00b\x00c"} {
		if _, err := ParseKey([]byte(bad)); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

func TestValue(t *testing.T) {
	v := EncodeValue(1795789731, 7)
	// x86-64 in-memory layout: two little-endian 64-bit words
	want := []byte{0xa3, 0x93, 0x09, 0x6b, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(v, want) {
		t.Fatalf("value % x, want % x", v, want)
	}
	m, u, err := DecodeValue(v)
	if err != nil || m != 1795789731 || u != 7 {
		t.Fatal(m, u, err)
	}
	m, u, err = DecodeValue(v[:8])
	if err != nil || m != 1795789731 || u != 0 {
		t.Fatal("8-byte value:", m, u, err)
	}
	if _, _, err := DecodeValue(v[:5]); err == nil {
		t.Fatal("5-byte value accepted")
	}
}

// TestDumpLine: the exact line the real ctl_deliver printed for a
// record it wrote (Cyrus 3.6.1, checked on the oracle).
func TestDumpLine(t *testing.T) {
	got := DumpLine(Record{Key: Key{ID: "<cmu-lmtpd-4740-1795789731-0@localhost>", To: "1uvuof2m9yb7rwut8f1yuxg7"}, Mark: 1795789731, UID: 1})
	want := "id: <cmu-lmtpd-4740-1795789731-0@localhost> \tto: 1uvuof2m9yb7rwut8f1yuxg7\tat: 1795789731\tuid: 1\n"
	if got != want {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
	got = DumpLine(Record{Key: Key{ID: "<a\x01>", To: "x"}, Mark: -1})
	want = "id: 3C61013E                                \tto: x                   \tat: -1\tuid: 0\n"
	if got != want {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
}

func TestDBMarkCheckPruneDump(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "deliver.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	k1 := Key{"<m1@x>", "box1", "d1"}
	k2 := Key{"<m2@x>", "box2", "d2"}
	k3 := Key{"<m3@x>", ".bob@x.sieve.", "d3"}
	if m, err := db.Check(k1); err != nil || m != 0 {
		t.Fatal(m, err)
	}
	if err := db.MarkAll([]Record{{k1, 100, 1}, {k2, 200, 2}, {k3, 300, 0}}); err != nil {
		t.Fatal(err)
	}
	marks, err := db.CheckAll([]Key{k1, k2, {"<no>", "box1", "d1"}})
	if err != nil || marks[0] != 100 || marks[1] != 200 || marks[2] != 0 {
		t.Fatal(marks, err)
	}
	var found []Record
	db.Find("<m", func(r Record) error { found = append(found, r); return nil })
	if len(found) != 2 { // the Sieve record is not a mailbox delivery
		t.Fatalf("find: %+v", found)
	}
	var b strings.Builder
	n, err := db.Dump(&b)
	if err != nil || n != 3 || strings.Count(b.String(), "\n") != 3 {
		t.Fatalf("dump %d %v:\n%s", n, err, b.String())
	}
	// box2 never expires, everything else before 250 does
	res, err := db.Prune(250, map[string]int64{"box2": 0})
	if err != nil || res.Deleted != 1 || res.Total != 3 {
		t.Fatalf("prune: %+v %v", res, err)
	}
	if m, _ := db.Check(k1); m != 0 {
		t.Fatal("k1 survived")
	}
	if m, _ := db.Check(k2); m != 200 {
		t.Fatal("k2 expired")
	}
	if m, _ := db.Check(k3); m != 300 {
		t.Fatal("k3 expired")
	}
}

// TestOpenConcurrent marks from several goroutines through the write
// handle while others check through the read handle: every mark is seen
// once it is committed, by this DB and by another opener.
func TestOpenConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deliver.db")
	db, err := OpenConcurrent(path, "")
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 4, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				k := Key{fmt.Sprintf("<%d.%d@x>", w, i), "box", "d"}
				if err := db.MarkAll([]Record{{k, int64(1000 + i), uint64(i + 1)}}); err != nil {
					t.Error(err)
					return
				}
				recs, err := db.CheckRecords([]Key{k})
				if err != nil || recs[0].Mark != int64(1000+i) || recs[0].UID != uint64(i+1) {
					t.Errorf("%v after its mark: %+v %v", k, recs, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	other, err := Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var b strings.Builder
	if n, err := other.Dump(&b); err != nil || n != writers*each {
		t.Fatalf("dump: %d records, %v", n, err)
	}
}

// TestMarkAllDeferred: deferred marks are seen at once, by this DB and
// by another opener, although the file stays DIRTY meanwhile, and the
// file is marked clean once the marks pause.
func TestMarkAllDeferred(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deliver.db")
	db, err := OpenConcurrent(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dirty := func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b[59]&1 != 0 // twoskip header flags (big-endian, offset 56)
	}
	for i := range 20 {
		k := Key{fmt.Sprintf("<%d@x>", i), "box", "d"}
		if err := db.MarkAllDeferred([]Record{{k, int64(1000 + i), uint64(i + 1)}}); err != nil {
			t.Fatal(err)
		}
		if m, err := db.Check(k); err != nil || m != int64(1000+i) {
			t.Fatalf("check after deferred mark %d: %d %v", i, m, err)
		}
	}
	if !dirty() {
		t.Fatal("deliver.db clean right after deferred marks")
	}
	other, err := Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if n, err := other.Dump(&b); err != nil || n != 20 {
		t.Fatalf("another opener: %d records, %v", n, err)
	}
	other.Close()
	if err := db.MarkAllDeferred([]Record{{Key{"<last@x>", "box", "d"}, 1, 1}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for dirty() {
		if time.Now().After(deadline) {
			t.Fatal("deliver.db still DIRTY long after the marks paused")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add([]byte("<a@b>\x00box\x00date\x00"))
	f.Add([]byte("\x00\x00\x00"))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKey(b)
		if err != nil {
			return
		}
		if !bytes.Equal(k.Bytes(), b) {
			t.Fatalf("%q -> %+v -> %q", b, k, k.Bytes())
		}
		_ = DumpLine(Record{Key: k})
	})
}

func FuzzDecodeValue(f *testing.F) {
	f.Add(EncodeValue(1, 2))
	f.Add(EncodeValue(1, 2)[:8])
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, u, err := DecodeValue(b)
		if err != nil {
			if len(b) == 8 || len(b) == 16 {
				t.Fatalf("%d bytes refused", len(b))
			}
			return
		}
		if len(b) == 16 && !bytes.Equal(EncodeValue(m, u), b) {
			t.Fatalf("round trip %x", b)
		}
	})
}
