package seen

import (
	"path/filepath"
	"testing"
)

func TestValue(t *testing.T) {
	d := Data{LastRead: 1700000000, LastUID: 7, LastChange: 1700000001, SeenUIDs: "1:5,7"}
	if string(d.Encode()) != "1 1700000000 7 1700000001 1:5,7" {
		t.Fatalf("%q", d.Encode())
	}
	p, err := Parse(d.Encode())
	if err != nil || p != d {
		t.Fatal(p, err)
	}
	// an empty set keeps its trailing space, as Cyrus writes it
	if got := string(Data{}.Encode()); got != "1 0 0 0 " {
		t.Fatalf("%q", got)
	}
	// a bad sequence is dropped, a bad version refused
	if p, _ := Parse([]byte("1 1 2 3 1:x")); p.SeenUIDs != "" || p.LastUID != 2 {
		t.Fatal(p)
	}
	if _, err := Parse([]byte("2 1 2 3 1")); err == nil {
		t.Fatal("version 2 accepted")
	}
}

func TestSeqSetLikeCyrus(t *testing.T) {
	// merge mode: expunged UIDs (never mentioned) do not break a range,
	// an unseen message does
	s := NewMerge()
	for _, u := range []struct {
		uid  uint32
		seen bool
	}{{1, true}, {2, true}, {4, true}, {5, false}, {6, true}, {9, true}, {10, true}} {
		s.Add(u.uid, u.seen)
	}
	if s.String() != "1:4,6:10" {
		t.Fatalf("merge %q", s.String())
	}
	sp := NewSparse()
	for _, u := range []uint32{1, 2, 4, 6, 7} {
		sp.Add(u, true)
	}
	if sp.String() != "1:2,4,6:7" {
		t.Fatalf("sparse %q", sp.String())
	}
	if !Contains("1:4,6:*", 100, 100) || Contains("1:4,6:10", 5, 100) {
		t.Fatal("contains")
	}
}

func TestDB(t *testing.T) {
	p := filepath.Join(t.TempDir(), "user", "a", "alice.seen")
	d, err := Open(p, "", true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if sd, err := d.Read("id1"); err != nil || sd != (Data{}) {
		t.Fatal(sd, err)
	}
	err = d.Modify("id1", func(sd *Data) error { sd.LastUID = 3; sd.SeenUIDs = "1:3"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	sd, _ := d.Read("id1")
	if sd.LastUID != 3 || sd.SeenUIDs != "1:3" {
		t.Fatal(sd)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("1 1700000000 7 1700000001 1:5,7"))
	f.Add([]byte("1 0 0 0 "))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(b)
		if err != nil {
			return
		}
		e, err := Parse(d.Encode())
		if err != nil || e != d {
			t.Fatalf("round trip %+v -> %+v %v", d, e, err)
		}
	})
}
