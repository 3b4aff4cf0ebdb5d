package mboxlist

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
)

// Recover (ctl_cyrusdb -r) reports reservations and leaves them (as the
// real Cyrus 3.6.1 does), gives a uniqueid to a record without one (a new
// one, written to the header too), and hands a pre-3.x specialuse to the
// annotation hook; active mailboxes are left alone.
func TestRecoverCleansUp(t *testing.T) {
	l, _ := testList(t)
	s := *l.Settings()
	mustCreate(t, l, "user.alice")
	sent := mustCreate(t, l, "user.alice.Sent")
	// a create that crashed after its files: the record is still 'z'
	tmp := mustCreate(t, l, "user.alice.Tmp")
	tmpLoc, _ := s.Locate(tmp)
	if err := l.Update(func(tx *Tx) error {
		z := tmp.Clone()
		z.Type |= Reserved
		if err := tx.Put(z.Name, z); err != nil {
			return err
		}
		// and one that crashed before its files
		return tx.Put("user.alice.Ghost", &Entry{Name: "user.alice.Ghost", Type: Reserved,
			UniqueID: "ghostghostghostghostghos", Partition: "default"})
	}); err != nil {
		t.Fatal(err)
	}
	// a legacy by-name mailbox whose record and header have no uniqueid
	root := s.Partitions["default"]
	legLoc := mailbox.Locate(&s.Layout, "default", root, "user.alice.Legacy", "", true)
	legLoc.UserLock = ""
	mb, err := mailbox.Create(legLoc, mailbox.CreateOptions{Type: "e", ACL: "alice\tlrs\t", UIDValidity: 7}, s.Mailbox)
	if err != nil {
		t.Fatal(err)
	}
	mb.Close()
	if err := l.Update(func(tx *Tx) error {
		return tx.Put("user.alice.Legacy", &Entry{Name: "user.alice.Legacy", Type: LegacyDirs,
			Partition: "default", ACL: "alice\tlrs\t", UIDValidity: 7})
	}); err != nil {
		t.Fatal(err)
	}
	l.Close()

	upgraded, acts, err := Recover(s, RecoverOptions{})
	if err != nil || upgraded {
		t.Fatal(upgraded, err)
	}
	var said []string
	for _, a := range acts {
		reserved := strings.HasPrefix(a.Name, "user.alice.Tmp") || a.Name == "user.alice.Ghost"
		if reserved != errors.Is(a.Err, ErrReserved) {
			t.Errorf("%s", a)
		}
		said = append(said, a.String())
	}
	t.Logf("%s", strings.Join(said, "\n"))
	if len(acts) != 3 {
		t.Fatalf("%d actions, want 3", len(acts))
	}
	l2, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	for _, n := range []string{"user.alice.Tmp", "user.alice.Ghost"} {
		if e, err := l2.LookupAll(n); err != nil || e.Type&Reserved == 0 {
			t.Errorf("%s: %v %+v", n, err, e)
		}
	}
	if !mailbox.Exists(tmpLoc) {
		t.Errorf("files of the reserved user.alice.Tmp removed")
	}
	if e, err := l2.Lookup("user.alice.Sent"); err != nil || e.UniqueID != sent.UniqueID {
		t.Errorf("user.alice.Sent: %v %+v", err, e)
	}
	leg, err := l2.Lookup("user.alice.Legacy")
	if err != nil || len(leg.UniqueID) != 24 {
		t.Fatalf("legacy: %v %+v", err, leg)
	}
	b, err := os.ReadFile(filepath.Join(legLoc.MetaDir, index.HeaderFile))
	if err != nil {
		t.Fatal(err)
	}
	if mh, err := index.ParseMailboxHeader(b); err != nil || mh.UniqueID != leg.UniqueID {
		t.Fatalf("header uniqueid %q, record %q (%v)", mh.UniqueID, leg.UniqueID, err)
	}
	if ie, err := l2.LookupID(leg.UniqueID); err != nil || ie.Name != "user.alice.Legacy" {
		t.Fatalf("I record: %v %+v", err, ie)
	}
	// a second run has only the reservations to report
	l2.Close()
	if _, acts, err := Recover(s, RecoverOptions{}); err != nil || len(acts) != 2 {
		t.Fatalf("second run: %v %v", err, acts)
	}
}

// A pre-3.x database is upgraded by Recover, and the specialuse field of
// its old text records reaches the annotation hook with the owner.
func TestRecoverUpgradesAndMovesSpecialUse(t *testing.T) {
	l, _ := testList(t)
	s := *l.Settings()
	l.Close()
	old, err := cyrusdb.Open(s.Path, "twoskip", cyrusdb.Create)
	if err != nil {
		t.Fatal(err)
	}
	old.Store([]byte("user.alice"), []byte("(uniqueid aaaaaaaaaaaaaaaaaaaaaaaa) 0 default alice\tlrswipkxtecdan\t"))
	old.Store([]byte("user.alice.Sent"), []byte("(uniqueid bbbbbbbbbbbbbbbbbbbbbbbb specialuse \\Sent) 0 default alice\tlrswipkxtecdan\t"))
	old.Store([]byte("shared"), []byte("(uniqueid cccccccccccccccccccccccc specialuse \\Archive) 0 default anyone\tlrs\t"))
	old.Close()
	type call struct{ name, user, value string }
	var calls []call
	upgraded, acts, err := Recover(s, RecoverOptions{SpecialUse: func(e *Entry, userid, value string) error {
		calls = append(calls, call{e.Name, userid, value})
		return nil
	}})
	if err != nil || !upgraded {
		t.Fatal(upgraded, err)
	}
	if len(calls) != 1 || calls[0] != (call{"user.alice.Sent", "alice", `\Sent`}) {
		t.Fatalf("hook calls %v", calls)
	}
	if len(acts) != 2 {
		t.Fatalf("actions %v", acts)
	}
	if need, _ := NeedsUpgrade(s); need {
		t.Fatal("still needs upgrade")
	}
}
