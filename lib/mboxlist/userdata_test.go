package mboxlist

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"gyrus/lib/subs"
)

// Renaming a legacy (by-name) user moves the user's seen file,
// subscriptions and sieve directory, as Cyrus's user_renamedata; a by-uuid
// user's files stay where they are (found by the INBOX's uniqueid) and
// still answer for the new name.
func TestRenameUserMovesLegacyUserData(t *testing.T) {
	l, _ := testList(t, func(s *Settings) {
		s.LegacyDirs = true
		s.Layout.SieveDir = filepath.Join(t.TempDir(), "sieve")
	})
	lay := &l.Settings().Layout
	ns := &lay.NS
	in := mustCreate(t, l, "user.alice")
	if !in.IsLegacy() {
		t.Fatalf("mailbox_legacy_dirs made %+v", in)
	}
	mustCreate(t, l, "user.alice.Sent")
	mustCreate(t, l, "shared")
	alice, carol := ns.FromUserID("alice"), ns.FromUserID("carol")
	seen := lay.UserFileLegacy(alice, "seen")
	os.MkdirAll(filepath.Dir(seen), 0o755)
	os.WriteFile(seen, []byte("seen state"), 0o600)
	sd, err := subs.Open(subs.Options{Path: lay.UserFileLegacy(alice, "sub"), UserID: "alice", NS: ns, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"user.alice", "user.alice.Sent", "shared"} {
		sd.Add(n)
	}
	sd.Close()
	sieve := lay.SieveDirLegacy(alice)
	os.MkdirAll(sieve, 0o755)
	os.WriteFile(filepath.Join(sieve, "main.bc"), []byte("x"), 0o600)

	if err := l.RenameTree(RenameRequest{Old: "user.alice", New: "user.carol", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(lay.UserFileLegacy(carol, "seen")); err != nil || string(b) != "seen state" {
		t.Errorf("seen file: %q %v", b, err)
	}
	if _, err := os.Stat(seen); err == nil {
		t.Errorf("old seen file remains")
	}
	nd, err := subs.Open(subs.Options{Path: lay.UserFileLegacy(carol, "sub"), UserID: "carol", NS: ns})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := nd.List()
	nd.Close()
	if want := []string{"user.carol", "user.carol.Sent", "shared"}; !reflect.DeepEqual(sortedCopy(got), sortedCopy(want)) {
		t.Errorf("subscriptions %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(lay.SieveDirLegacy(carol), "main.bc")); err != nil {
		t.Errorf("sieve directory: %v", err)
	}
	if _, err := os.Stat(sieve); err == nil {
		t.Errorf("old sieve directory remains")
	}
}

// A by-uuid user: the files are found through the INBOX's uniqueid, so
// the new name reaches the same seen file without anything moving.
func TestRenameUserByUUIDKeepsUserFiles(t *testing.T) {
	l, _ := testList(t)
	mustCreate(t, l, "user.alice")
	before := l.UserFileOf("alice", "seen")
	if err := l.RenameTree(RenameRequest{Old: "user.alice", New: "user.carol", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	if after := l.UserFileOf("carol", "seen"); after != before {
		t.Fatalf("seen file moved: %s -> %s", before, after)
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sortStrings(c)
	return c
}
