package reconstruct

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/message"
)

// testEnv is a mailbox list in a temp dir with user.alice holding n
// messages, some flagged.
type testEnv struct {
	t   testing.TB
	env Env
	out *bytes.Buffer
	dir string
}

func newTestEnv(t testing.TB, n int) *testEnv {
	t.Helper()
	dir := t.TempDir()
	ns := mboxname.DefaultNamespace()
	ns.AltNamespace, ns.UnixHierarchySep = false, false
	s := mboxlist.Settings{
		Layout:     mboxname.Layout{NS: ns, HashIMAPSpool: true, ConfigDir: filepath.Join(dir, "conf")},
		Partitions: map[string]string{"default": filepath.Join(dir, "spool")},
		DefaultACL: "anyone lrs",
		Mailbox:    mailbox.DefaultOptions(),
		NoSync:     true,
	}
	os.MkdirAll(s.Layout.ConfigDir, 0o755)
	l, err := mboxlist.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if _, err := l.Create(mboxlist.CreateRequest{Name: "user.alice", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	te := &testEnv{t: t, dir: dir, out: &bytes.Buffer{}}
	te.env = Env{List: l, Mailbox: s.Mailbox, Out: te.out, Err: te.out}
	mb := te.open()
	defer mb.Close()
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		body := fmt.Sprintf("From: a@example.com\r\nSubject: m%d\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nbody %d\r\n", i, i)
		st, err := mailbox.Stage(mb.Location().StageDir, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Parse(message.Options{})
		if err != nil {
			t.Fatal(err)
		}
		flags := uint32(0)
		if i%2 == 0 {
			flags = index.FlagSeen
		}
		if i%3 == 0 {
			flags |= index.FlagFlagged
		}
		if _, err := tx.Append(&mailbox.NewMessage{Staged: st, Info: info, SystemFlags: flags,
			InternalDate: time.Unix(1700000000+int64(i), 0)}); err != nil {
			t.Fatal(err)
		}
		defer st.Close()
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return te
}

func (te *testEnv) loc() mailbox.Location {
	e, err := te.env.List.Lookup("user.alice")
	if err != nil {
		te.t.Fatal(err)
	}
	loc, err := te.env.List.Settings().Locate(e)
	if err != nil {
		te.t.Fatal(err)
	}
	return loc
}

func (te *testEnv) open() *mailbox.Mailbox {
	mb, err := mailbox.Open(te.loc(), te.env.Mailbox, mailbox.ReadWrite)
	if err != nil {
		te.t.Fatal(err)
	}
	return mb
}

// run reconstructs user.alice and returns what was printed.
func (te *testEnv) run(o Options) string {
	te.out.Reset()
	if err := New(te.env, o).Mailbox("user.alice"); err != nil {
		te.t.Fatalf("reconstruct: %v\n%s", err, te.out)
	}
	return te.out.String()
}

// messages lists "uid flags" of the live messages.
func (te *testEnv) messages() []string {
	mb := te.open()
	defer mb.Close()
	var out []string
	mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if !r.Expunged() {
			out = append(out, fmt.Sprintf("%d %x", r.UID, r.SystemFlags))
		}
		return nil
	})
	return out
}

var full = Options{MakeChanges: true, Stat: true}

func TestCleanMailboxNothingToDo(t *testing.T) {
	te := newTestEnv(t, 5)
	if out := te.run(full); out != "user.alice\n" {
		t.Errorf("clean mailbox: %q", out)
	}
}

func TestRepairsAndConverges(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, loc mailbox.Location)
		want   []string // printed lines that must appear
		lost   int      // messages whose flags are lost
	}{
		{"missing file", func(t *testing.T, loc mailbox.Location) { os.Remove(loc.MessagePath(2)) },
			[]string{"user.alice uid 2 not found"}, 0},
		{"orphan file", func(t *testing.T, loc mailbox.Location) {
			b, _ := os.ReadFile(loc.MessagePath(1))
			os.WriteFile(loc.MessagePath(9), b, 0o600)
		}, []string{"user.alice uid 9 found - adding"}, 0},
		{"cache gone", func(t *testing.T, loc mailbox.Location) {
			os.Remove(filepath.Join(loc.MetaDir, index.CacheFile))
		}, []string{"user.alice rewrote cache for 1 (offset 0 to 4, "}, 0},
		{"index gone", func(t *testing.T, loc mailbox.Location) {
			os.Remove(loc.IndexPath())
		}, []string{"user.alice: failed to read index header", "user.alice uid 5 found - adding"}, 5},
		{"header gone", func(t *testing.T, loc mailbox.Location) {
			os.Remove(filepath.Join(loc.MetaDir, index.HeaderFile))
		}, []string{"user.alice: failed to read header file"}, 0},
		{"record flipped", func(t *testing.T, loc mailbox.Location) {
			b, _ := os.ReadFile(loc.IndexPath())
			b[index.HeaderSize+2*index.RecordSize+40] ^= 1
			os.WriteFile(loc.IndexPath(), b, 0o600)
		}, []string{"user.alice uid 3 rediscovered - appending", "user.alice: updating exists 6 => 5"}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			te := newTestEnv(t, 5)
			before := te.messages()
			c.damage(t, te.loc())
			out := te.run(full)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if again := te.run(full); again != "user.alice\n" {
				t.Errorf("second run: %q", again)
			}
			mb := te.open()
			probs, err := mb.Check(mailbox.CheckOptions{GUIDs: true})
			mb.Close()
			if err != nil || len(probs) > 0 {
				t.Errorf("check: %v %v", probs, err)
			}
			after := te.messages()
			kept := 0
			set := map[string]bool{}
			for _, m := range after {
				set[m] = true
			}
			for _, m := range before {
				if set[m] {
					kept++
				}
			}
			missing := 0
			if c.name == "missing file" {
				missing = 1
			}
			if kept < len(before)-c.lost-missing {
				t.Errorf("flags or UIDs lost: before %v after %v", before, after)
			}
		})
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	te := newTestEnv(t, 4)
	loc := te.loc()
	os.Remove(loc.MessagePath(3))
	snap := func() string {
		var b strings.Builder
		ents, _ := os.ReadDir(loc.Dir)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, n := range names {
			d, _ := os.ReadFile(filepath.Join(loc.Dir, n))
			fmt.Fprintf(&b, "%s %x\n", n, d)
		}
		return b.String()
	}
	before := snap()
	out := te.run(Options{Stat: true})
	if !strings.Contains(out, "uid 3 not found") {
		t.Errorf("dry run did not report: %q", out)
	}
	if snap() != before {
		t.Error("dry run changed files")
	}
}

func TestParseMessageFileName(t *testing.T) {
	for _, c := range []struct {
		in  string
		uid uint32
		ok  bool
	}{{"1.", 1, true}, {"0.", 0, true}, {"4294967295.", 4294967295, true}, {"4294967296.", 0, false},
		{"12", 0, false}, {".", 0, false}, {"1.2", 0, false}, {"a.", 0, false}, {"1..", 0, false}, {"", 0, false}} {
		uid, ok := ParseMessageFileName(c.in)
		if uid != c.uid || ok != c.ok {
			t.Errorf("%q: %d %v", c.in, uid, ok)
		}
	}
}

func FuzzParseMessageFileName(f *testing.F) {
	for _, s := range []string{"1.", "12.", "cyrus.index", "x", "0.", "99999999999."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		uid, ok := ParseMessageFileName(s)
		if ok && fmt.Sprintf("%d.", uid) != strings.TrimLeft(s, "0") && s != "0." && !strings.HasPrefix(s, "0") {
			t.Fatalf("%q parsed as %d", s, uid)
		}
	})
}

// FuzzIndexBytes: whatever cyrus.index holds, reconstruct does not panic,
// keeps every message, and a second run finds nothing to do. The mailbox
// files are put back before each input.
func FuzzIndexBytes(f *testing.F) {
	te := newTestEnv(f, 3)
	loc := te.loc()
	pristine := map[string][]byte{}
	ents, _ := os.ReadDir(loc.Dir)
	for _, e := range ents {
		if b, err := os.ReadFile(filepath.Join(loc.Dir, e.Name())); err == nil {
			pristine[e.Name()] = b
		}
	}
	good := pristine[index.IndexFile]
	f.Add(good, 0, byte(0))
	f.Add(good, 50, byte(1))
	f.Add(good[:200], 170, byte(0x80))
	f.Add([]byte{}, 0, byte(0))
	f.Fuzz(func(t *testing.T, data []byte, pos int, x byte) {
		te.t = t
		ents, _ := os.ReadDir(loc.Dir)
		for _, e := range ents {
			os.Remove(filepath.Join(loc.Dir, e.Name()))
		}
		for n, b := range pristine {
			os.WriteFile(filepath.Join(loc.Dir, n), b, 0o600)
		}
		b := append([]byte(nil), good...)
		if len(data) > 0 {
			b = append([]byte(nil), data...)
		}
		if pos >= 0 && pos < len(b) {
			b[pos] ^= x
		}
		if err := os.WriteFile(loc.IndexPath(), b, 0o600); err != nil {
			t.Fatal(err)
		}
		te.out.Reset()
		if err := New(te.env, full).Mailbox("user.alice"); err != nil {
			t.Fatalf("reconstruct: %v", err)
		}
		if again := te.run(full); again != "user.alice\n" {
			t.Fatalf("second run: %q", again)
		}
		if n := len(te.messages()); n < 3 {
			t.Fatalf("only %d messages left: %v", n, te.messages())
		}
	})
}
