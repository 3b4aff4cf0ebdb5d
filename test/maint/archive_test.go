package maint

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gyrus/lib/annotate"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
)

// archiveBoxes are the mailboxes whose records the archive tests compare.
var archiveBoxes = []string{"user.alice", "user.alice.Trash", "user.alice.sub", "user.bob", "shared"}

// withArchive adds archive settings to the instance's imapd.conf and an
// archive partition directory; both are undone at the end of the test.
func (in *inst) withArchive(t *testing.T, extra string) {
	t.Helper()
	arch := filepath.Join(in.dir, "archive")
	t.Cleanup(func() { os.RemoveAll(arch) })
	in.appendConf(t, "archive_enabled: yes\narchivepartition-default: "+arch+"\n"+extra)
}

// resetArchive restores the pristine spool and an empty archive
// partition owned by cyrus.
func (in *inst) resetArchive(t *testing.T) {
	t.Helper()
	in.restore(t)
	arch := filepath.Join(in.dir, "archive")
	os.RemoveAll(arch)
	os.MkdirAll(arch, 0o755)
	uid, gid := cyrusIDs(t)
	os.Chown(arch, uid, gid)
}

// archiveState is what the comparison looks at: the message files and
// cache files under spool/ and archive/, and per mailbox which UIDs are
// ARCHIVED.
func (in *inst) archiveState(t *testing.T) (files []string, archived map[string]string) {
	t.Helper()
	return in.archiveStateCheck(t, true)
}

// archiveStateCheck is archiveState, with lib/mailbox's Check of every
// mailbox only if check.
func (in *inst) archiveStateCheck(t *testing.T, check bool) (files []string, archived map[string]string) {
	t.Helper()
	for _, d := range []string{"spool", "archive"} {
		filepath.WalkDir(filepath.Join(in.dir, d), func(p string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return nil
			}
			if strings.HasSuffix(p, ".") || strings.HasSuffix(p, "/"+index.CacheFile) && d == "archive" {
				rel, _ := filepath.Rel(in.dir, p)
				files = append(files, rel)
			}
			return nil
		})
	}
	sort.Strings(files)
	archived = map[string]string{}
	env := in.env(t)
	for _, name := range archiveBoxes {
		loc, _ := in.location(t, env, name)
		mb, err := mailbox.Open(loc, env.Mailbox, mailbox.ReadOnly)
		if err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
		var uids []string
		mb.ForEachRecord(func(_ uint32, r *index.Record) error {
			if r.InternalFlags&index.InternalArchived != 0 {
				uids = append(uids, fmt.Sprint(r.UID))
			}
			return nil
		})
		// Gyrus reads what either program archived: every live message's
		// file and cache entry where its record says
		if check {
			probs, err := mb.Check(mailbox.CheckOptions{Files: true, GUIDs: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range probs {
				t.Errorf("%s after archiving: %v", name, p)
			}
		}
		mb.Close()
		archived[name] = strings.Join(uids, " ")
	}
	return files, archived
}

// setArchiveAnnotation puts /vendor/cmu/cyrus-imapd/archive on a mailbox.
func (in *inst) setArchiveAnnotation(t *testing.T, name, value string) {
	t.Helper()
	env := in.env(t)
	loc, e := in.location(t, env, name)
	mb, err := mailbox.Open(loc, env.Mailbox, mailbox.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Annot.SetMailbox(tx, annotate.Target{UniqueID: e.UniqueID, Owner: "alice"}, index.AnnotNS+"archive", "", []byte(value)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	mb.Close()
	env.Close()
	in.chown(t)
}

// TestExpireArchive: cyr_expire -A with archive_enabled and an
// archivepartition-default archives the same records as Cyrus 3.6.1,
// leaves the same message and cache files in the same places, prints
// the same (nothing), and each program reads what the other archived:
// Gyrus's Check finds every file and cache entry after Cyrus's run, and
// Cyrus's chk_cyrus finds nothing missing after Gyrus's.
func TestExpireArchive(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	for _, c := range []struct {
		name, conf string
		args       []string
		annot      string // archive annotation of user.alice.Trash
		want       int    // archived records (of archiveBoxes)
	}{
		// everything (fresh mail included: -A 0)
		// (the expunged UID 5 of alice's INBOX is skipped)
		{"all", "", []string{"-A", "0", "-v"}, "", 18},
		// nothing is old enough; the Trash's annotation archives its
		// mail, and, as in Cyrus, its mark stays for the mailboxes
		// walked after it (user.bob's): keepflagged keeps alice's
		// \Flagged messages of user.alice.sub
		{"annotation", "archive_keepflagged: yes\n", []string{"-A", "7", "-p", "user"}, "1s", 6},
		// archive_maxsize: 0 KB: every message is "big", whatever its age
		{"maxsize", "archive_maxsize: 0\n", []string{"-A", "30", "-v"}, "", 18},
	} {
		t.Run(c.name, func(t *testing.T) {
			in.withArchive(t, c.conf)
			var out [2]string
			var files [2][]string
			var arch [2]map[string]string
			for i, prog := range []string{"gyrus", "cyrus"} {
				in.resetArchive(t)
				if c.annot != "" {
					in.setArchiveAnnotation(t, "user.alice.Trash", c.annot)
				}
				var o, e string
				var code int
				if prog == "gyrus" {
					o, e, code = in.gyrus(t, "cyr_expire", c.args...)
				} else {
					o, e, code = in.cyrus(t, "cyr_expire", c.args...)
				}
				if code != 0 {
					t.Fatalf("%s cyr_expire %v: exit %d\n%s%s", prog, c.args, code, o, e)
				}
				out[i] = o + e
				files[i], arch[i] = in.archiveState(t)
				if prog == "gyrus" {
					co, ce, cc := in.cyrus(t, "chk_cyrus", "-P", "default")
					if cc != 0 || strings.Contains(co+ce, "missing") || strings.Contains(co+ce, "rror") {
						t.Errorf("Cyrus chk_cyrus on Gyrus's archive: exit %d\n%s%s", cc, co, ce)
					}
				}
			}
			if out[0] != out[1] {
				t.Errorf("cyr_expire %v says\n%s\nCyrus says\n%s", c.args, out[0], out[1])
			}
			if g, cy := strings.Join(files[0], "\n"), strings.Join(files[1], "\n"); g != cy {
				t.Errorf("files differ\ngyrus:\n%s\ncyrus:\n%s", g, cy)
			}
			n := 0
			for _, name := range archiveBoxes {
				if arch[0][name] != arch[1][name] {
					t.Errorf("%s: gyrus archived [%s], cyrus [%s]", name, arch[0][name], arch[1][name])
				}
				if arch[0][name] != "" {
					n += len(strings.Fields(arch[0][name]))
				}
			}
			if n != c.want {
				t.Errorf("%d records archived, want %d: %v", n, c.want, arch[0])
			}
		})
	}
}
