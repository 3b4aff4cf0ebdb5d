package search_test

// Replays commands.txt with lib/search over a mailbox built by
// lib/mailbox with the same messages, internal dates, flags and STOREs
// as record.py delivered to real Cyrus 3.6.1, and compares with
// golden.txt (Cyrus's untagged answers and tagged status).

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/htmlindex"

	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
	"gyrus/lib/search"
)

var flagBits = map[string]uint32{
	`\Answered`: index.FlagAnswered, `\Flagged`: index.FlagFlagged,
	`\Deleted`: index.FlagDeleted, `\Draft`: index.FlagDraft, `\Seen`: index.FlagSeen,
}

func splitFlags(s string) (sys uint32, user []string) {
	for _, f := range strings.Fields(s) {
		if b, ok := flagBits[f]; ok {
			sys |= b
		} else {
			user = append(user, f)
		}
	}
	return
}

// buildMailbox appends the corpus as record.py does: one APPEND each,
// then the STOREs.
func buildMailbox(t testing.TB, dir string) *mailbox.Mailbox {
	root := t.TempDir()
	sp := filepath.Join(root, "spool", "inbox")
	loc := mailbox.Location{Name: "user.alice", UniqueID: "id-inbox", Partition: "default",
		Dir: sp, MetaDir: sp, StageDir: filepath.Join(root, "spool", "stage."), Owner: "alice"}
	mb, err := mailbox.Create(loc, mailbox.CreateOptions{ACL: "alice\tlrswipkxtecdan\t"}, mailbox.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	man, err := os.ReadFile(filepath.Join(dir, "manifest.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(man), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		data, err := os.ReadFile(filepath.Join(dir, "msgs", f[0]))
		if err != nil {
			t.Fatal(err)
		}
		date, err := time.Parse("02-Jan-2006 15:04:05 -0700", f[1])
		if err != nil {
			t.Fatal(err)
		}
		sys, user := splitFlags(f[2])
		tx, err := mb.Begin()
		if err != nil {
			t.Fatal(err)
		}
		st, err := mailbox.Stage(loc.StageDir, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		mi, err := st.Parse(message.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		ub, err := tx.UserFlagBits(user, mailbox.FlagCreateClient)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Append(&mailbox.NewMessage{Staged: st, Info: mi, InternalDate: date, SystemFlags: sys, UserFlags: ub}); err != nil {
			t.Fatal(err)
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	stores, err := os.ReadFile(filepath.Join(dir, "stores.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(stores), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		seq, _ := strconv.Atoi(f[0])
		mode := map[string]mailbox.StoreMode{"+": mailbox.StoreAdd, "-": mailbox.StoreRemove}[f[1]]
		if f[1] == "FLAGS" {
			mode = mailbox.StoreReplace
		}
		sys, user := splitFlags(f[2])
		tx, err := mb.Begin()
		if err != nil {
			t.Fatal(err)
		}
		ub, err := tx.UserFlagBits(user, mailbox.FlagCreateClient)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.SetFlags([]uint32{uint32(seq)}, mailbox.FlagChange{Mode: mode, System: sys, User: ub}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	return mb
}

var litRE = regexp.MustCompile("«([^»]*)»")

// expand is record.py's expand: «text» / «cs:text» as literals.
func expand(t testing.TB, cmd string) []byte {
	var out []byte
	pos := 0
	for _, m := range litRE.FindAllStringSubmatchIndex(cmd, -1) {
		out = append(out, cmd[pos:m[0]]...)
		text, cs := cmd[m[2]:m[3]], "utf-8"
		if i := strings.IndexByte(text, ':'); i > 0 && regexp.MustCompile(`^[a-z0-9_-]+$`).MatchString(text[:i]) {
			cs, text = text[:i], text[i+1:]
		}
		b := []byte(text)
		if cs != "utf-8" {
			enc, err := htmlindex.Get(cs)
			if err != nil {
				t.Fatalf("%s: %v", cs, err)
			}
			if b, err = enc.NewEncoder().Bytes(b); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, fmt.Sprintf("{%d+}\r\n", len(b))...)
		out = append(out, b...)
		pos = m[1]
	}
	return append(out, cmd[pos:]...)
}

type golden struct {
	cmd   string
	lines []string
	st    string
}

func readGolden(t testing.TB, path string) (fetch []string, cases []golden) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur *golden
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "= "):
			fetch = append(fetch, l[2:])
		case strings.HasPrefix(l, "> "):
			cases = append(cases, golden{cmd: l[2:]})
			cur = &cases[len(cases)-1]
		case strings.HasPrefix(l, "< "):
			cur.st = l[2:]
		case cur != nil:
			cur.lines = append(cur.lines, l)
		}
	}
	return
}

var fetchRE = regexp.MustCompile(`^\* (\d+) FETCH \(FLAGS \(([^)]*)\) UID (\d+) MODSEQ \((\d+)\)\)`)

func TestCyrusGolden(t *testing.T) {
	dir := "."
	fetch, cases := readGolden(t, filepath.Join(dir, "golden.txt"))
	mb := buildMailbox(t, dir)
	v, err := mb.NewView()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	recent := map[uint32]bool{}
	for _, l := range fetch {
		m := fetchRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		seq, _ := strconv.Atoi(m[1])
		uid, _ := strconv.Atoi(m[3])
		ms, _ := strconv.ParseUint(m[4], 10, 64)
		if strings.Contains(m[2], `\Recent`) {
			recent[uint32(uid)] = true
		}
		r, err := v.Record(uint32(seq))
		if err != nil {
			t.Fatal(err)
		}
		if r.UID != uint32(uid) || r.ModSeq != ms {
			t.Errorf("message %d: uid %d modseq %d, Cyrus uid %d modseq %d", seq, r.UID, r.ModSeq, uid, ms)
		}
	}
	opt := &search.Options{
		Recent:   func(seq, uid uint32) bool { return recent[uid] },
		Location: time.UTC, // record.py's server ran with TZ=UTC
	}
	match := 0
	tagRE := regexp.MustCompile(`\(TAG "t\d+"\)`)
	norm := func(l []string) string { return tagRE.ReplaceAllString(strings.Join(l, "\n"), `(TAG "t")`) }
	for _, c := range cases {
		got, st := run(t, v, expand(t, c.cmd), opt)
		if st == c.st && norm(got) == norm(c.lines) {
			match++
			continue
		}
		t.Errorf("%s\n  Cyrus: %q %s\n  Gyrus: %q %s", c.cmd, c.lines, c.st, got, st)
	}
	t.Logf("%d of %d commands answered as Cyrus", match, len(cases))
}

// run parses one command with imapwire and answers it with lib/search,
// returning the untagged lines and the tagged status.
func run(t testing.TB, v *mailbox.View, cmdline []byte, opt *search.Options) ([]string, string) {
	p := imapwire.NewParser(bytes.NewReader(append([]byte("t1 "), append(cmdline, "\r\n"...)...)),
		imapwire.Options{KnownCharset: search.KnownCharset})
	cmd, err := p.ReadCommand()
	if err != nil {
		if e, ok := err.(*imapwire.Error); ok {
			var b bytes.Buffer
			w := imapwire.NewWriter(&b)
			w.WriteError(e)
			w.Flush()
			f := strings.Fields(b.String())
			return nil, f[1]
		}
		t.Fatalf("%s: %v", cmdline, err)
	}
	var b bytes.Buffer
	w := imapwire.NewWriter(&b)
	switch a := cmd.Args.(type) {
	case *imapwire.Search:
		res, err := search.Search(v, a.Program, a.Charset, opt)
		if err == search.ErrFuzzy {
			return nil, "OK"
		}
		if err != nil {
			return nil, "NO"
		}
		if a.Return != nil {
			w.ESearch(res.ESearch(a.Return, cmd.UID, cmd.Tag))
		} else {
			w.Search("SEARCH", res.Numbers(cmd.UID), res.HighestModSeq())
		}
	case *imapwire.Sort:
		res, err := search.Search(v, a.Program, a.Charset, opt)
		if err != nil {
			return nil, "NO"
		}
		seqs, uids, err := search.Sort(v, a.Criteria, res, opt)
		if err != nil {
			return nil, "NO"
		}
		nums := seqs
		if cmd.UID {
			nums = uids
		}
		if a.Return != nil {
			sorted := &search.Result{Seqs: res.Seqs, UIDs: res.UIDs, ModSeqs: res.ModSeqs, UsesModSeq: res.UsesModSeq}
			w.ESearch(sorted.ESearch(a.Return, cmd.UID, cmd.Tag))
		} else {
			w.Search("SORT", nums, res.HighestModSeq())
		}
	case *imapwire.Thread:
		res, err := search.Search(v, a.Program, a.Charset, opt)
		if err != nil {
			return nil, "NO"
		}
		th, err := search.Threads(v, a.Algorithm, res, opt)
		if err != nil {
			return nil, "BAD"
		}
		line := "* THREAD"
		if len(th) > 0 {
			line += " " + search.Format(th, cmd.UID)
		}
		b.WriteString(line + "\r\n")
	default:
		t.Fatalf("%s: unexpected command %s", cmdline, cmd.Name)
	}
	w.Flush()
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\r\n"), "\r\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, "OK"
}
