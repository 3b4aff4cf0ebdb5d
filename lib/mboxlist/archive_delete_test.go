package mboxlist

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

// archivedBox creates name with three messages, the first two archived
// (files and cache entries under the archive partition).
func archivedBox(t *testing.T, l *List, name string) mailbox.Location {
	t.Helper()
	e := mustCreate(t, l, name)
	loc, err := l.Settings().Locate(e)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := mailbox.Open(loc, l.Settings().Mailbox, mailbox.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		body := fmt.Sprintf("From: a@example.com\r\nSubject: m%d\r\n\r\nbody %d\r\n", i, i)
		st, err := mailbox.Stage(mb.Location().StageDir, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		info, err := st.Parse(message.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Append(&mailbox.NewMessage{Staged: st, Info: info, InternalDate: time.Unix(1700000000, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if tx, err = mb.Begin(); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Archive(func(r *index.Record) bool { return r.UID < 3 }); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return mb.Location()
}

// filesUnder lists the regular files under dir.
func filesUnder(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestDeleteRemovesArchivedFiles: deleting a mailbox (immediately) or
// moving it to another partition leaves nothing of it in the archive
// partition it had.
func TestDeleteRemovesArchivedFiles(t *testing.T) {
	var arch string
	l, _ := testList(t, func(s *Settings) {
		base := filepath.Dir(s.Layout.ConfigDir)
		arch = filepath.Join(base, "archive")
		s.DeleteDelayed = false
		s.Partitions["other"] = filepath.Join(base, "other")
		s.Mailbox.ArchiveRoots = map[string]mailbox.ArchiveRoot{
			"default": {Data: s.Partitions["default"], Archive: filepath.Join(arch, "default")},
			"other":   {Data: s.Partitions["other"], Archive: filepath.Join(arch, "other")},
		}
	})
	alice := archivedBox(t, l, "user.alice")
	if _, err := os.Stat(alice.ArchivePath(1)); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	if _, err := l.Delete(DeleteRequest{Name: "user.alice", IsAdmin: true, Immediate: true}); err != nil {
		t.Fatal(err)
	}
	if left := filesUnder(alice.ArchiveDir); len(left) > 0 {
		t.Errorf("delete left archived files: %v", left)
	}

	bob := archivedBox(t, l, "user.bob")
	if err := l.RenameTree(RenameRequest{Old: "user.bob", New: "user.bob", Partition: "other", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	if left := filesUnder(bob.ArchiveDir); len(left) > 0 {
		t.Errorf("move to another partition left archived files: %v", left)
	}
	e, err := l.Lookup("user.bob")
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := l.Settings().Locate(e)
	mb, err := mailbox.Open(loc, l.Settings().Mailbox, mailbox.ReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	probs, err := mb.Check(mailbox.CheckOptions{GUIDs: true})
	if err != nil || len(probs) > 0 {
		t.Errorf("moved mailbox: %v %v", err, probs)
	}
	if n := len(filesUnder(filepath.Join(arch, "other"))); n != 3 {
		t.Errorf("archive of the new partition holds %d files, want 2 messages and a cache", n)
	}
}

// TestVerifyStaleCopyArchived: ctl_mboxlist -v's repair of a stale copy
// (a directory on another partition whose cyrus.header names a mailbox
// that lives elsewhere) removes that copy's archived files too.
func TestVerifyStaleCopyArchived(t *testing.T) {
	var arch string
	l, _ := testList(t, func(s *Settings) {
		base := filepath.Dir(s.Layout.ConfigDir)
		arch = filepath.Join(base, "archive")
		s.Partitions["other"] = filepath.Join(base, "other")
		s.Mailbox.ArchiveRoots = map[string]mailbox.ArchiveRoot{
			"default": {Data: s.Partitions["default"], Archive: filepath.Join(arch, "default")},
			"other":   {Data: s.Partitions["other"], Archive: filepath.Join(arch, "other")},
		}
	})
	carol := archivedBox(t, l, "user.carol")
	// the copy: the same directories under partition other
	copyTree := func(from, to string) {
		for _, f := range filesUnder(from) {
			rel, _ := filepath.Rel(from, f)
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(to, rel)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	rel, err := filepath.Rel(l.Settings().Partitions["default"], carol.Dir)
	if err != nil {
		t.Fatal(err)
	}
	staleDir := filepath.Join(l.Settings().Partitions["other"], rel)
	staleArch := filepath.Join(arch, "other", rel)
	copyTree(carol.Dir, staleDir)
	copyTree(carol.ArchiveDir, staleArch)
	if len(filesUnder(staleArch)) == 0 {
		t.Fatal("fixture: no archived files copied")
	}
	probs, err := l.Verify(VerifyOptions{Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range probs {
		if strings.Contains(p.What, "stale copy") {
			found = true
			if !p.Fixed {
				t.Errorf("not fixed: %+v", p)
			}
		}
	}
	if !found {
		t.Fatalf("no stale copy reported: %+v", probs)
	}
	if left := filesUnder(staleArch); len(left) > 0 {
		t.Errorf("stale copy's archived files left: %v", left)
	}
	if left := filesUnder(staleDir); len(left) > 0 {
		t.Errorf("stale copy's files left: %v", left)
	}
	if _, err := os.Stat(carol.ArchivePath(1)); err != nil {
		t.Errorf("the live mailbox lost an archived file: %v", err)
	}
}
