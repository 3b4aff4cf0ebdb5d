package subs

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/mboxname"
)

func ns() *mboxname.Namespace {
	n := mboxname.DefaultNamespace()
	n.AltNamespace, n.UnixHierarchySep = false, false
	return &n
}

func TestKeysAsCyrus(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub.db")
	d, err := Open(Options{Path: p, UserID: "alice", NS: ns(), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"user.alice", "user.alice.Sent", "shared", "user.bob.x"} {
		if err := d.Add(n); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	// the exact file the real Cyrus 3.6.1 writes for the same set
	// (flat: key TAB value LF, mailbox order)
	want := "\x1fVER\x1f\t2\nNINBOX\t\nNINBOX\x1fSent\t\nNshared\t\nNuser\x1fbob\x1fx\t\n"
	got, _ := os.ReadFile(p)
	if string(got) != want {
		t.Fatalf("file\n%q\nwant\n%q", got, want)
	}
	d, err = Open(Options{Path: p, UserID: "alice", NS: ns()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l, _ := d.List()
	if !reflect.DeepEqual(l, []string{"user.alice", "user.alice.Sent", "shared", "user.bob.x"}) {
		t.Fatal(l)
	}
	if ok, _ := d.Has("user.alice.Sent"); !ok {
		t.Fatal("has")
	}
	d.Remove("user.alice.Sent")
	if ok, _ := d.Has("user.alice.Sent"); ok {
		t.Fatal("removed still there")
	}
}

func TestUpgradeOldFormat(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "alice.sub")
	old, err := cyrusdb.Open(p, "flat", cyrusdb.Create)
	if err != nil {
		t.Fatal(err)
	}
	old.Store([]byte("user.alice.Sent"), nil)
	old.Store([]byte("user.bob"), nil)
	old.Close()
	d, err := Open(Options{Path: p, UserID: "alice", NS: ns(), UpgradeLock: filepath.Join(dir, "lock", "up.lock")})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l, _ := d.List()
	if !reflect.DeepEqual(l, []string{"user.alice.Sent", "user.bob"}) {
		t.Fatal(l)
	}
	if _, err := os.Stat(p + ".NEW"); !os.IsNotExist(err) {
		t.Fatal("NEW left")
	}
	if _, err := Open(Options{Path: filepath.Join(dir, "none"), UserID: "x", NS: ns()}); err != ErrNoSubs {
		t.Fatal(err)
	}
}
