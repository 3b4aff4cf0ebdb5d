package codec

import (
	"bytes"
	"testing"

	"gyrus/lib/mailbox/index"
)

// The record written by the real Cyrus 3.6.1 (annotations.db of an
// oracle instance after SETMETADATA "" (/shared/comment "server note")).
var cyrusServerNote = []byte("\x00\x00\x00\x0b\x00\x00\x00\x00server note\x00text/plain\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00" + "\x00")

func TestCyrusRecord(t *testing.T) {
	if got := Encode([]byte("server note"), 0, 0); !bytes.Equal(got, cyrusServerNote) {
		t.Fatalf("encode:\n%q\n%q", got, cyrusServerNote)
	}
	v, err := Decode(cyrusServerNote)
	if err != nil || string(v.Value) != "server note" || v.ModSeq != 0 || v.Flags != 0 {
		t.Fatalf("decode %v %+v", err, v)
	}
	if k := Key("", "/comment", ""); string(k) != "\x00/comment\x00\x00" {
		t.Fatalf("key %q", k)
	}
}

// lib/mailbox writes cyrus.annotations with its own encoder: both must
// agree byte for byte.
func TestSameAsMailboxIndex(t *testing.T) {
	for _, c := range []struct {
		v  string
		ms uint64
		fl byte
	}{{"", 7, 1}, {"x", 1 << 40, 0}, {string(make([]byte, 300)), 3, 0}} {
		a := Encode([]byte(c.v), c.ms, c.fl)
		b := index.EncodeAnnotationValue([]byte(c.v), c.ms, c.fl)
		if !bytes.Equal(a, b) {
			t.Fatalf("differ for %+v:\n%q\n%q", c, a, b)
		}
	}
}

func TestLenient(t *testing.T) {
	// old records without modseq and flags
	v, err := Decode([]byte("\x00\x00\x00\x02\x00\x00\x00\x00hi\x00text/plain\x00"))
	if err != nil || string(v.Value) != "hi" || v.ModSeq != 0 {
		t.Fatalf("%v %+v", err, v)
	}
	// a tombstone reads empty
	v, _ = Decode(Encode([]byte("gone"), 5, FlagDeleted))
	if v.Value != nil || !v.Deleted() || v.ModSeq != 5 {
		t.Fatalf("tombstone %+v", v)
	}
	if _, err := Decode([]byte("\x00\x00\x01\x00\x00\x00\x00\x00x")); err == nil {
		t.Fatal("length beyond the data accepted")
	}
	f, e, u, ok, err := SplitKey(Key("abc", "/vendor/x", OwnerToken))
	if err != nil || f != "abc" || e != "/vendor/x" || u != OwnerToken || !ok {
		t.Fatal(f, e, u, ok, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(cyrusServerNote)
	f.Add(Encode([]byte("v"), 9, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Decode(b)
		if err != nil {
			return
		}
		if !v.Deleted() {
			// what decodes re-encodes to a value that decodes the same
			w, err := Decode(Encode(v.Value, v.ModSeq, v.Flags))
			if err != nil || !bytes.Equal(w.Value, v.Value) || w.ModSeq != v.ModSeq {
				t.Fatalf("round trip %+v -> %+v %v", v, w, err)
			}
		}
	})
}

func FuzzSplitKey(f *testing.F) {
	f.Add(Key("u", "/e", "x"))
	f.Fuzz(func(t *testing.T, k []byte) {
		first, entry, user, has, err := SplitKey(k)
		if err == nil && has && !bytes.Contains([]byte(first+entry+user), []byte{0}) {
			if !bytes.HasPrefix(k, Key(first, entry, user)[:len(first)+len(entry)+2]) {
				t.Fatalf("split %q wrong", k)
			}
		}
	})
}
