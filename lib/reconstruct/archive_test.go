package reconstruct

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
)

// newArchiveEnv is newTestEnv with an archive partition for "default"
// and the odd UIDs of user.alice archived (files and cache entries in
// the archive directory).
func newArchiveEnv(t *testing.T, n int) *testEnv {
	t.Helper()
	te := newTestEnv(t, n)
	te.env.Mailbox.ArchiveRoots = map[string]mailbox.ArchiveRoot{
		"default": {Data: filepath.Join(te.dir, "spool"), Archive: filepath.Join(te.dir, "archive")},
	}
	mb := te.open()
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Archive(func(r *index.Record) bool { return r.UID%2 == 1 }); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	mb.Close()
	return te
}

// archState lists "uid flags A?" of the live messages and checks every
// file and cache entry where its record says.
func (te *testEnv) archState() string {
	te.t.Helper()
	mb := te.open()
	defer mb.Close()
	var out []string
	mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if !r.Expunged() {
			a := ""
			if r.InternalFlags&index.InternalArchived != 0 {
				a = " A"
			}
			out = append(out, fmt.Sprintf("%d %x%s", r.UID, r.SystemFlags, a))
		}
		return nil
	})
	probs, err := mb.Check(mailbox.CheckOptions{GUIDs: true})
	if err != nil {
		te.t.Fatal(err)
	}
	for _, p := range probs {
		te.t.Errorf("after reconstruct: %v", p)
	}
	return strings.Join(out, ", ")
}

func TestArchivedRecordsKept(t *testing.T) {
	te := newArchiveEnv(t, 4)
	want := "1 0 A, 2 10, 3 2 A, 4 10"
	if got := te.archState(); got != want {
		t.Fatalf("archived fixture: %s, want %s", got, want)
	}
	loc := mailbox.WithArchive(te.loc(), te.env.Mailbox)
	if _, err := os.Stat(loc.ArchivePath(1)); err != nil {
		t.Fatalf("archived file: %v", err)
	}
	// nothing to do, with and without stat, and in chk_cyrus's mode
	for _, o := range []Options{full, {MakeChanges: true}, {NoMboxlist: true}} {
		if out := te.run(o); out != "user.alice\n" {
			t.Errorf("%+v on an archived mailbox: %q", o, out)
		}
	}
	if got := te.archState(); got != want {
		t.Errorf("after reconstruct: %s, want %s", got, want)
	}

	// the file of archived UID 3 back in the data directory
	if err := os.Rename(loc.ArchivePath(3), loc.MessagePath(3)); err != nil {
		t.Fatal(err)
	}
	out := te.run(full)
	if !strings.HasPrefix(out, "Marking file as not archived user.alice 3\n") {
		t.Errorf("file moved back: %q", out)
	}
	if got, w := te.archState(), "1 0 A, 2 10, 3 2, 4 10"; got != w {
		t.Errorf("file moved back: %s, want %s", got, w)
	}
	// the file of UID 4 in the archive only, and an archive-only orphan
	os.Rename(loc.MessagePath(4), loc.ArchivePath(4))
	b, _ := os.ReadFile(loc.ArchivePath(1))
	os.WriteFile(loc.ArchivePath(9), b, 0o600)
	out = te.run(full)
	for _, l := range []string{"Marking file as archived user.alice 4\n", "user.alice uid 9 found - adding\n"} {
		if !strings.Contains(out, l) {
			t.Errorf("missing %q in\n%s", l, out)
		}
	}
	if got, w := te.archState(), "1 0 A, 2 10, 3 2, 4 10 A, 9 0 A"; got != w {
		t.Errorf("archive-only files: %s, want %s", got, w)
	}
	// the index lost: every record comes back from the files, the
	// archived ones archived
	os.Remove(loc.IndexPath())
	te.run(full)
	if got, w := te.archState(), "1 0 A, 2 0, 3 0, 4 0 A, 9 0 A"; got != w {
		t.Errorf("index rebuilt: %s, want %s", got, w)
	}
	if out := te.run(full); out != "user.alice\n" {
		t.Errorf("second run: %q", out)
	}
}

// TestArchivedMarkWithoutArchiveDir: with no archive partition an
// archived mark says nothing about where the file is; reconstruct
// clears it, as Cyrus 3.6.1's does (its data and archive paths are the
// same directory, listed once, as the data directory).
func TestArchivedMarkWithoutArchiveDir(t *testing.T) {
	te := newTestEnv(t, 3)
	mb := te.open()
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Archive(func(r *index.Record) bool { return r.UID != 2 }); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	mb.Close()
	if got, w := te.archState(), "1 0 A, 2 10, 3 2 A"; got != w {
		t.Fatalf("fixture: %s, want %s", got, w)
	}
	want := "Marking file as not archived user.alice 1\nMarking file as not archived user.alice 3\nuser.alice\n"
	if out := te.run(full); out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	if got, w := te.archState(), "1 0, 2 10, 3 2"; got != w {
		t.Errorf("after: %s, want %s", got, w)
	}
	if out := te.run(full); out != "user.alice\n" {
		t.Errorf("second run: %q", out)
	}
}
