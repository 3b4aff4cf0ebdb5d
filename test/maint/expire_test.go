package maint

import (
	"crypto/sha1"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gyrus/lib/config"
	"gyrus/lib/duplicate"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
)

// tree is a snapshot of an instance's files: path -> content hash.
func (in *inst) tree(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range []string{"spool", "lib"} {
		root := filepath.Join(in.dir, d)
		filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(in.dir, p)
			sum := sha1.Sum(b)
			out[rel] = hex.EncodeToString(sum[:])
			return nil
		})
	}
	return out
}

// removed lists the files of before that are gone in after.
func removed(before, after map[string]string) []string {
	var out []string
	for p := range before {
		if _, ok := after[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// TestExpireRemovesExactly: cyr_expire -X 0 -D 0 removes the files of
// expunged messages (including those the Trash's expire annotation
// expires) and of delayed-deleted mailboxes, and nothing else; Cyrus
// removes the same files from the same state and says the same with -v.
// The selections (-p, -u), -a (annotations ignored: the Trash keeps its
// old message) and -A (archiving off: nothing to archive) too.
func TestExpireRemovesExactly(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	for _, c := range []struct {
		args          []string
		msgs, deleted int // message files and mailboxes that must go
	}{
		{[]string{"-X", "0", "-D", "0", "-v"}, 2, 1},
		{[]string{"-X", "0", "-D", "0", "-a", "-v"}, 1, 1},
		{[]string{"-X", "0", "-p", "user.alice", "-v"}, 2, 0},
		{[]string{"-X", "0", "-p", "user.bob", "-v"}, 0, 0},
		{[]string{"-X", "0", "-D", "0", "-u", "alice", "-v"}, 2, 1},
		{[]string{"-X", "0", "-p", "shared", "-v"}, 0, 0},
		{[]string{"-A", "0", "-v"}, 0, 0},
	} {
		// A message the expire annotation expunges is removed by -X 0
		// in the same run only if the clock did not pass a second since
		// the run began (the expunge time must not be after the mark),
		// in Cyrus as in Gyrus: a second run removes it in any case, so
		// the files are compared after two runs, and the first run's
		// count of removed messages is not compared.
		in.restore(t)
		before := in.tree(t)
		gout, gerr, gcode := in.gyrus(t, "cyr_expire", c.args...)
		if gcode != 0 {
			t.Fatalf("gyrus cyr_expire %v: exit %d\n%s%s", c.args, gcode, gout, gerr)
		}
		in.gyrus(t, "cyr_expire", c.args...)
		gRemoved := removed(before, in.tree(t))
		in.restore(t)
		cout, cerr, ccode := in.cyrus(t, "cyr_expire", c.args...)
		if ccode != 0 {
			t.Fatalf("cyrus cyr_expire %v: exit %d\n%s%s", c.args, ccode, cout, cerr)
		}
		in.cyrus(t, "cyr_expire", c.args...)
		cRemoved := removed(before, in.tree(t))
		gerr, cerr = expungedCount.ReplaceAllString(gerr, "$1 N"), expungedCount.ReplaceAllString(cerr, "$1 N")
		if strings.Join(gRemoved, "\n") != strings.Join(cRemoved, "\n") {
			t.Errorf("cyr_expire %v: removed files differ\ngyrus:\n%s\ncyrus:\n%s", c.args,
				strings.Join(gRemoved, "\n"), strings.Join(cRemoved, "\n"))
		}
		// what must be among them: the expunged UID 5 of alice's INBOX,
		// the expired message of the Trash (the other one has no Date:
		// header, so its date is its arrival), every file of the deleted
		// folder
		var msgs, deleted int
		for _, p := range gRemoved {
			if strings.HasSuffix(p, ".") {
				msgs++
			}
			if strings.HasSuffix(p, "cyrus.header") {
				deleted++
			}
		}
		if msgs != c.msgs || deleted != c.deleted {
			t.Errorf("cyr_expire %v removed %d message files and %d mailboxes, want %d and %d\n%s",
				c.args, msgs, deleted, c.msgs, c.deleted, strings.Join(gRemoved, "\n"))
		}
		if gerr != cerr || gout != cout {
			t.Errorf("cyr_expire %v says\n%s%s\nCyrus says\n%s%s", c.args, gout, gerr, cout, cerr)
		}
	}
}

var expungedCount = regexp.MustCompile(`(Expired \d+ and expunged) \d+`)

// TestExpireUserFlags: -t removes the user flags no message uses.
func TestExpireUserFlags(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	names := func() []string {
		env := in.env(t)
		loc, _ := in.location(t, env, "user.alice")
		mb, err := mailbox.Open(loc, env.Mailbox, mailbox.ReadOnly)
		if err != nil {
			t.Fatal(err)
		}
		defer mb.Close()
		var out []string
		for _, n := range mb.UserFlags() {
			if n != "" {
				out = append(out, n)
			}
		}
		return out
	}
	unflag := func() {
		env := in.env(t)
		loc, _ := in.location(t, env, "user.alice")
		mb, err := mailbox.Open(loc, env.Mailbox, mailbox.ReadWrite)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := mb.Begin()
		if err != nil {
			t.Fatal(err)
		}
		bits, err := tx.UserFlagBits([]string{"$Label2"}, mailbox.FlagLookup)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.SetFlags([]uint32{9}, mailbox.FlagChange{Mode: mailbox.StoreRemove, User: bits}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		mb.Close()
		env.Close()
		in.chown(t)
	}
	in.restore(t)
	unflag()
	_, gerr, _ := in.gyrus(t, "cyr_expire", "-t", "-v", "-u", "alice")
	g := names()
	in.restore(t)
	unflag()
	_, cerr, _ := in.cyrus(t, "cyr_expire", "-t", "-v", "-u", "alice")
	c := names()
	if strings.Join(g, " ") != strings.Join(c, " ") || strings.Join(g, " ") != "$Label1" {
		t.Errorf("flags left: gyrus %v, cyrus %v (want [$Label1])", g, c)
	}
	if gerr != cerr {
		t.Errorf("cyr_expire -t -v says\n%s\nCyrus says\n%s", gerr, cerr)
	}
}

// TestExpireUsage: option errors exit 64 as Cyrus's do.
func TestExpireUsage(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	in.restore(t)
	for _, args := range [][]string{{}, {"-X", "1w"}, {"-X", "-1"}, {"-p", "user", "-u", "alice", "-X", "0"}, {"-h"}} {
		_, _, g := in.gyrus(t, "cyr_expire", args...)
		_, _, c := in.cyrus(t, "cyr_expire", args...)
		if g != c || g != 64 {
			t.Errorf("cyr_expire %v: exit %d, cyrus %d", args, g, c)
		}
	}
	_ = index.AnnotNS
}

// TestExpireDuplicates: -E prunes deliver.db as Cyrus does.
func TestExpireDuplicates(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	count := func() int {
		c, err := config.Load(in.conf, "maint-test")
		if err != nil {
			t.Fatal(err)
		}
		db, err := duplicate.OpenFromConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		n, err := db.Dump(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, dur := range []string{"1s", "1", "0"} {
		in.restore(t)
		before := count()
		in.gyrus(t, "cyr_expire", "-E", dur, "-x")
		g := count()
		in.restore(t)
		in.cyrus(t, "cyr_expire", "-E", dur, "-x")
		c := count()
		if g != c {
			t.Errorf("-E %s: gyrus leaves %d records, cyrus %d (of %d)", dur, g, c, before)
		}
		if dur == "1s" && (before < 10 || g != 0) {
			t.Errorf("-E 1s: %d records before, %d after", before, g)
		}
	}
}

// TestExpireServerAnnotation: an expire annotation set on the server (not
// on a mailbox) is what Cyrus makes of it: the same messages expired and
// the same files removed, the same -v lines.
func TestExpireServerAnnotation(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	annotated := func() {
		in.restore(t)
		env := in.env(t)
		if err := env.Annot.SetServer(index.AnnotNS+"expire", "", []byte("1")); err != nil {
			t.Fatal(err)
		}
		env.Close()
		in.chown(t)
	}
	annotated()
	before := in.tree(t)
	_, gerr, gcode := in.gyrus(t, "cyr_expire", "-X", "0", "-v")
	in.gyrus(t, "cyr_expire", "-X", "0")
	gRemoved := removed(before, in.tree(t))
	annotated()
	_, cerr, ccode := in.cyrus(t, "cyr_expire", "-X", "0", "-v")
	in.cyrus(t, "cyr_expire", "-X", "0")
	cRemoved := removed(before, in.tree(t))
	gerr, cerr = expungedCount.ReplaceAllString(gerr, "$1 N"), expungedCount.ReplaceAllString(cerr, "$1 N")
	if g, c := strings.Join(gRemoved, "\n"), strings.Join(cRemoved, "\n"); g != c || gcode != ccode {
		t.Errorf("removed files differ (exit %d, Cyrus %d)\ngyrus:\n%s\ncyrus:\n%s", gcode, ccode, g, c)
	}
	if gerr != cerr {
		t.Errorf("cyr_expire -v says\n%s\nCyrus says\n%s", gerr, cerr)
	}
}
