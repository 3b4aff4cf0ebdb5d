package maint

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
)

var reRecache = regexp.MustCompile(`(?m)^\S+ rewrote cache for \d+ .*\n`)

// archivedLoc is a mailbox's location with its archive directory.
func (in *inst) archivedLoc(t *testing.T, name string) mailbox.Location {
	t.Helper()
	env := in.env(t)
	loc, _ := in.location(t, env, name)
	loc = mailbox.WithArchive(loc, env.Mailbox)
	env.Close()
	if loc.ArchiveDir == "" {
		t.Fatalf("%s has no archive directory", name)
	}
	return loc
}

// chownArchive gives the archive partition back to the cyrus user after
// the test wrote into it as root.
func (in *inst) chownArchive(t *testing.T) {
	t.Helper()
	uid, gid := cyrusIDs(t)
	filepath.WalkDir(filepath.Join(in.dir, "archive"), func(p string, _ fs.DirEntry, err error) error {
		if err == nil {
			os.Lchown(p, uid, gid)
		}
		return nil
	})
}

// archivedRecords describes every record of the archive test mailboxes:
// UID, GUID, flags and the internal EXPUNGED/ARCHIVED flags.
func (in *inst) archivedRecords(t *testing.T) string {
	t.Helper()
	env := in.env(t)
	defer env.Close()
	var b strings.Builder
	for _, name := range archiveBoxes {
		loc, _ := in.location(t, env, name)
		mb, err := mailbox.Open(loc, env.Mailbox, mailbox.ReadOnly)
		if err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
		names := mb.UserFlags()
		mb.ForEachRecord(func(_ uint32, r *index.Record) error {
			if r.Unlinked() {
				return nil
			}
			in := ""
			if r.Expunged() {
				in += "E"
			}
			if r.InternalFlags&index.InternalArchived != 0 {
				in += "A"
			}
			fmt.Fprintf(&b, "%s %d %s %d [%s] %s\n", name, r.UID, r.GUIDHex()[:8], r.Size, flagString(r, &names), in)
			return nil
		})
		mb.Close()
	}
	return b.String()
}

// liveGUIDs is the sorted list of the GUIDs of the live messages of the
// archive test mailboxes (what must survive any repair).
func (in *inst) liveGUIDs(t *testing.T) string {
	t.Helper()
	var g []string
	for _, name := range archiveBoxes {
		for _, m := range in.state(t, name).Msgs {
			g = append(g, name+" "+m.GUID)
		}
	}
	sort.Strings(g)
	return strings.Join(g, "\n")
}

// missingLines lists the lines of want that got lacks (as multisets).
func missingLines(want, got string) string {
	have := map[string]int{}
	for _, l := range strings.Split(got, "\n") {
		have[l]++
	}
	var miss []string
	for _, l := range strings.Split(want, "\n") {
		if have[l] == 0 {
			miss = append(miss, l)
			continue
		}
		have[l]--
	}
	return strings.Join(miss, "\n")
}

// firstArchived is the first live archived UID of a mailbox and the
// mailbox's last UID.
func (in *inst) firstArchived(t *testing.T, name string) (uid, last uint32) {
	t.Helper()
	env := in.env(t)
	defer env.Close()
	loc, _ := in.location(t, env, name)
	mb, err := mailbox.Open(loc, env.Mailbox, mailbox.ReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if uid == 0 && !r.Expunged() && r.InternalFlags&index.InternalArchived != 0 {
			uid = r.UID
		}
		return nil
	})
	if uid == 0 {
		t.Fatalf("%s: nothing archived", name)
	}
	return uid, mb.Header().LastUID
}

// TestReconstructArchive: reconstruct of mailboxes whose messages
// cyr_expire -A moved to an archive partition keeps every message, its
// flags and its ARCHIVED mark, and does what Cyrus 3.6.1's reconstruct
// does (same records, same files, same output) when the archive is
// damaged: a missing index or archive cache, a file moved back to the
// data partition or present in both, a file with no record in the
// archive. chk_cyrus finds archived files where they are, as Cyrus's.
func TestReconstructArchive(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	in.withArchive(t, "")
	type damageFn func(t *testing.T, in *inst)
	for _, c := range []struct {
		name   string
		damage damageFn
		lose   bool // a message may go (its file was removed)
		full   bool // only with GYRUS_MAINT_FULL
		// Cyrus 3.6.1 clears the ARCHIVED flag but leaves the record's
		// cache offset pointing into the other cache file (lib/mailbox's
		// Check then finds a CRC mismatch, and so does Cyrus on the next
		// read); Gyrus writes the entry into the data cache and says so
		recache bool
		// Cyrus's chk_cyrus removes the duplicate archive copy even
		// though it changes nothing else; the damage is done again
		// before reconstruct
		redo bool
		args []string
	}{
		{name: "none"},
		{name: "index-deleted", damage: func(t *testing.T, in *inst) {
			loc := in.archivedLoc(t, "user.alice")
			rm(t, loc.IndexPath())
		}},
		{name: "archive-cache-deleted", damage: func(t *testing.T, in *inst) {
			loc := in.archivedLoc(t, "user.alice")
			rm(t, loc.ArchiveCachePath())
		}},
		{name: "archive-cache-deleted-G", full: true, args: []string{"-G"}, damage: func(t *testing.T, in *inst) {
			loc := in.archivedLoc(t, "user.alice.sub")
			rm(t, loc.ArchiveCachePath())
		}},
		{name: "file-moved-back", recache: true, damage: func(t *testing.T, in *inst) {
			loc := in.archivedLoc(t, "user.alice")
			uid, _ := in.firstArchived(t, "user.alice")
			if err := os.Rename(loc.ArchivePath(uid), loc.MessagePath(uid)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "file-in-both", recache: true, redo: true, damage: func(t *testing.T, in *inst) {
			loc := in.archivedLoc(t, "user.alice")
			uid, _ := in.firstArchived(t, "user.alice")
			copyFile(t, loc.ArchivePath(uid), loc.MessagePath(uid))
		}},
		{name: "orphan-in-archive", damage: func(t *testing.T, in *inst) {
			loc := in.archivedLoc(t, "user.bob")
			uid, last := in.firstArchived(t, "user.bob")
			copyFile(t, loc.ArchivePath(uid), loc.ArchivePath(last+5))
		}},
		{name: "archived-file-missing", lose: true, damage: func(t *testing.T, in *inst) {
			loc := in.archivedLoc(t, "user.alice")
			uid, _ := in.firstArchived(t, "user.alice")
			rm(t, loc.ArchivePath(uid))
		}},
	} {
		if c.full && !fullRuns {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			var out, recs [2]string
			var files [2][]string
			var arch [2]map[string]string
			var chk [2]string
			for i, prog := range []string{"gyrus", "cyrus"} {
				var want string // the live messages before the damage
				prepare := func() {
					in.resetArchive(t)
					if o, e, code := in.gyrus(t, "cyr_expire", "-A", "0"); code != 0 {
						t.Fatalf("cyr_expire -A 0: exit %d\n%s%s", code, o, e)
					}
					want = in.liveGUIDs(t)
					if c.damage != nil {
						c.damage(t, in)
						in.chown(t)
						in.chownArchive(t)
					}
				}
				prepare()
				if c.name == "none" && prog == "gyrus" {
					// mbexamine -q finds archived files where they are
					for _, name := range []string{"user.alice", "user.bob"} {
						g, ge, gc := in.gyrus(t, "mbexamine", "-q", name)
						cy, ce, cc := in.cyrus(t, "mbexamine", "-q", name)
						if g != cy || gc != cc || !strings.Contains(g, "has CORRECT total") {
							t.Errorf("mbexamine -q %s\ngyrus (exit %d):\n%s%s\ncyrus (exit %d):\n%s%s", name, gc, g, ge, cc, cy, ce)
						}
					}
				}
				// chk_cyrus first: it changes nothing
				var co, ce string
				if prog == "gyrus" {
					co, ce, _ = in.gyrus(t, "chk_cyrus", "-P", "default")
				} else {
					co, ce, _ = in.cyrus(t, "chk_cyrus", "-P", "default")
				}
				chk[i] = co + "--- stderr\n" + sortLines(ce)
				if c.redo {
					prepare()
				}
				args := append(append([]string{}, c.args...), archiveBoxes...)
				var o, e string
				var code int
				if prog == "gyrus" {
					o, e, code = in.gyrus(t, "reconstruct", args...)
				} else {
					o, e, code = in.cyrus(t, "reconstruct", args...)
				}
				if code != 0 {
					t.Fatalf("%s reconstruct %v: exit %d\n%s%s", prog, args, code, o, e)
				}
				out[i] = normOut(o + e)
				if c.recache && prog == "gyrus" {
					out[i] = reRecache.ReplaceAllString(out[i], "")
				}
				// (Cyrus's repairs are not all readable by lib/mailbox:
				// after a rebuilt index, Cyrus 3.6.1 keeps cache files of
				// another generation)
				files[i], arch[i] = in.archiveStateCheck(t, prog == "gyrus")
				recs[i] = in.archivedRecords(t)
				got := in.liveGUIDs(t)
				if missing := missingLines(want, got); !c.lose && missing != "" {
					t.Errorf("%s reconstruct lost messages:\n%s", prog, missing)
				}
				if prog == "gyrus" {
					// converged: a second run finds nothing, nor does Cyrus
					o2, e2, _ := in.gyrus(t, "reconstruct", archiveBoxes...)
					if o2+e2 != strings.Join(archiveBoxes, "\n")+"\n" {
						t.Errorf("second gyrus reconstruct still finds:\n%s%s", o2, e2)
					}
					o3, e3, _ := in.cyrus(t, "reconstruct", append([]string{"-n", "-G"}, archiveBoxes...)...)
					if o3 != strings.Join(archiveBoxes, "\n")+"\n" {
						t.Errorf("Cyrus's reconstruct -n -G on Gyrus's repair:\n%s%s", o3, e3)
					}
				}
			}
			if out[0] != out[1] {
				t.Errorf("reconstruct says\n%s\nCyrus says\n%s", out[0], out[1])
			}
			if chk[0] != chk[1] {
				t.Errorf("chk_cyrus says\n%s\nCyrus's says\n%s", chk[0], chk[1])
			}
			if g, cy := strings.Join(files[0], "\n"), strings.Join(files[1], "\n"); g != cy {
				t.Errorf("files differ\ngyrus:\n%s\ncyrus:\n%s", g, cy)
			}
			if recs[0] != recs[1] {
				t.Errorf("records differ\ngyrus:\n%s\ncyrus:\n%s", recs[0], recs[1])
			}
			for _, name := range archiveBoxes {
				if arch[0][name] != arch[1][name] {
					t.Errorf("%s: archived after gyrus [%s], after cyrus [%s]", name, arch[0][name], arch[1][name])
				}
			}
		})
	}
}

// TestReconstructArchiveMarkOnly: with archive_enabled but no
// archivepartition, cyr_expire -A only marks records ARCHIVED (their
// files stay); reconstruct then clears the marks ("Marking file as not
// archived"), as Cyrus 3.6.1's does, and keeps every message.
func TestReconstructArchiveMarkOnly(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	in.appendConf(t, "archive_enabled: yes\n")
	var out, recs [2]string
	for i, prog := range []string{"gyrus", "cyrus"} {
		in.restore(t)
		if o, e, code := in.gyrus(t, "cyr_expire", "-A", "0"); code != 0 {
			t.Fatalf("cyr_expire -A 0: exit %d\n%s%s", code, o, e)
		}
		want := in.liveGUIDs(t)
		if !strings.Contains(in.archivedRecords(t), " A\n") {
			t.Fatal("cyr_expire -A 0 marked nothing")
		}
		var o, e string
		var code int
		if prog == "gyrus" {
			o, e, code = in.gyrus(t, "reconstruct", archiveBoxes...)
		} else {
			o, e, code = in.cyrus(t, "reconstruct", archiveBoxes...)
		}
		if code != 0 {
			t.Fatalf("%s reconstruct: exit %d\n%s%s", prog, code, o, e)
		}
		out[i], recs[i] = normOut(o+e), in.archivedRecords(t)
		if missing := missingLines(want, in.liveGUIDs(t)); missing != "" {
			t.Errorf("%s reconstruct lost messages:\n%s", prog, missing)
		}
		if strings.Contains(recs[i], " A\n") {
			t.Errorf("%s reconstruct left archived marks:\n%s", prog, recs[i])
		}
	}
	if out[0] != out[1] {
		t.Errorf("reconstruct says\n%s\nCyrus says\n%s", out[0], out[1])
	}
	if recs[0] != recs[1] {
		t.Errorf("records differ\ngyrus:\n%s\ncyrus:\n%s", recs[0], recs[1])
	}
}
