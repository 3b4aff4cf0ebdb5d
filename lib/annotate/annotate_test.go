package annotate

import (
	"errors"
	"path/filepath"
	"testing"

	"gyrus/lib/annotate/codec"
	"gyrus/lib/cyrusdb"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxname"
	"gyrus/lib/quota"
)

func TestServerAndOwnerToken(t *testing.T) {
	p := filepath.Join(t.TempDir(), "annotations.db")
	d, err := Open(p, "")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.SetServer("/comment", "", []byte("server note")); err != nil {
		t.Fatal(err)
	}
	v, ok, err := d.Get(Server, "/comment", "")
	if err != nil || !ok || string(v) != "server note" {
		t.Fatal(v, ok, err)
	}
	// the record Cyrus 3.6.1 writes for the same thing
	raw, _ := d.db.Fetch([]byte("\x00/comment\x00\x00"))
	if string(raw) != string(codec.Encode([]byte("server note"), 0, 0)) {
		t.Fatalf("%q", raw)
	}
	if err := d.SetServer("/comment", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.db.Fetch([]byte("\x00/comment\x00\x00")); !errors.Is(err, cyrusdb.ErrNotFound) {
		t.Fatal("empty value did not delete")
	}
}

func TestMailboxAnnotationChargesQuota(t *testing.T) {
	dir := t.TempDir()
	q, err := quota.Open(quota.Options{Path: filepath.Join(dir, "quotas.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	q.SetLimits("user.alice", map[quota.Resource]int64{quota.AnnotStorage: 1})
	lay := mboxname.Layout{NS: mboxname.DefaultNamespace(), ConfigDir: dir}
	loc := mailbox.Locate(&lay, "default", filepath.Join(dir, "spool"), "user.alice", "abcdefghijklmnopqrstuvwx", false)
	loc.UserLock = ""
	mb, err := mailbox.Create(loc, mailbox.CreateOptions{QuotaRoot: "user.alice"}, mailbox.Options{Quota: q})
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	d, err := Open(filepath.Join(dir, "annotations.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tg := Target{UniqueID: loc.UniqueID, Owner: "alice"}
	tx, _ := mb.Begin()
	if err := d.SetMailbox(tx, tg, "/comment", "alice", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	if err := d.SetMailbox(tx, tg, "/comment", "", make([]byte, 2000)); !errors.Is(err, quota.ErrOverQuota) {
		t.Fatalf("2000 bytes over a 1 KiB limit: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// the owner's private value is stored under the owner token
	if _, err := d.db.Fetch(codec.Key(loc.UniqueID, "/comment", codec.OwnerToken)); err != nil {
		t.Fatal("no owner-token key:", err)
	}
	qr, _ := q.Read("user.alice")
	if qr.Used[quota.AnnotStorage] != 4 {
		t.Fatalf("AS usage %d", qr.Used[quota.AnnotStorage])
	}
	list, _ := d.List(tg)
	if len(list) != 1 || list[0].UserID != "alice" || string(list[0].Value) != "mine" {
		t.Fatalf("%+v", list)
	}
	if err := d.DeleteMailbox(loc.UniqueID); err != nil {
		t.Fatal(err)
	}
	if list, _ := d.List(tg); len(list) != 0 {
		t.Fatal(list)
	}
}
