package mailboxtest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

func stageInfo(t testing.TB, stageDir string, body []byte) (*mailbox.Staged, mailbox.MessageInfo) {
	t.Helper()
	st, err := mailbox.Stage(stageDir, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	mi, err := st.Parse(message.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return st, mi
}

// fillWithGyrus does a bit of everything to a mailbox: appends in
// batches, system and user flags, an annotation, expunges, an
// unexpunge, a cyr_expire-style cleanup and a repack, more appends.
func fillWithGyrus(t *testing.T, loc mailbox.Location) {
	opts := mailbox.DefaultOptions()
	mb, err := mailbox.Open(loc, opts, mailbox.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	msgs := corpus()
	appendBatch := func(from, n int, sys uint32, flags []string) {
		tx, err := mb.Begin()
		if err != nil {
			t.Fatal(err)
		}
		bits, err := tx.UserFlagBits(flags, mailbox.FlagCreateClient)
		if err != nil {
			t.Fatal(err)
		}
		for i := from; i < from+n; i++ {
			st, mi := stageInfo(t, loc.StageDir, msgs[i%len(msgs)])
			_, err := tx.Append(&mailbox.NewMessage{Staged: st, Info: mi,
				InternalDate: time.Unix(1700000000+int64(i)*3600, 0), SystemFlags: sys, UserFlags: bits})
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	appendBatch(0, 5, 0, nil)
	appendBatch(5, 4, index.FlagSeen, []string{"$Label1"})
	appendBatch(9, 1, index.FlagDraft|index.FlagAnswered, []string{"Junk", "$Forwarded"})

	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	junk, _ := tx.UserFlagBits([]string{"Junk"}, mailbox.FlagLookup)
	tx.SetFlags([]uint32{1, 2, 3}, mailbox.FlagChange{Mode: mailbox.StoreAdd, System: index.FlagFlagged | index.FlagSeen, User: junk})
	tx.SetFlags([]uint32{4, 6, 7}, mailbox.FlagChange{Mode: mailbox.StoreAdd, System: index.FlagDeleted})
	tx.SetFlags([]uint32{6}, mailbox.FlagChange{Mode: mailbox.StoreRemove, System: index.FlagSeen})
	if err := tx.SetAnnotation(2, "/comment", "", []byte("a shared note")); err != nil {
		t.Fatal(err)
	}
	if err := tx.SetAnnotation(3, "/comment", "alice", []byte("private")); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Expunge(nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// unexpunge uid 6 as uid 11
	tx, _ = mb.Begin()
	if _, err := tx.Unexpunge(func(r *index.Record) bool { return r.UID == 6 }, true, [4]uint32{}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	// cyr_expire -X: uid 4 goes, uid 7 stays expunged
	tx, _ = mb.Begin()
	tx.SetFlags([]uint32{5}, mailbox.FlagChange{Mode: mailbox.StoreReplace, System: index.FlagAnswered})
	tx.Commit()
	tx, _ = mb.Begin()
	if _, err := tx.ExpungeCleanup(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	if err := mb.Cleanup(); err != nil {
		t.Fatal(err)
	}
	tx, _ = mb.Begin()
	tx.SetFlags([]uint32{8}, mailbox.FlagChange{Mode: mailbox.StoreAdd, System: index.FlagDeleted})
	tx.Expunge(nil)
	tx.Commit()
	appendBatch(12, 3, 0, []string{"NonJunk"})
	probs, err := mb.Check(mailbox.CheckOptions{GUIDs: true})
	if err != nil || len(probs) > 0 {
		t.Fatalf("gyrus check: %v %v", err, probs)
	}
}

// snapshot reads every file of a mailbox directory.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func diffSnapshots(t *testing.T, what string, before, after map[string][]byte) {
	t.Helper()
	var names []string
	for n := range before {
		names = append(names, n)
	}
	for n := range after {
		if _, ok := before[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		b, a := before[n], after[n]
		switch {
		case b == nil:
			t.Errorf("%s created %s", what, n)
		case a == nil:
			t.Errorf("%s removed %s", what, n)
		case !bytes.Equal(a, b):
			off := 0
			for off < len(a) && off < len(b) && a[off] == b[off] {
				off++
			}
			t.Errorf("%s changed %s (%d -> %d bytes, first difference at offset %d)", what, n, len(b), len(a), off)
			if n == index.IndexFile && len(a) >= index.HeaderSize && len(b) >= index.HeaderSize {
				hb, _ := index.ParseHeader(b)
				ha, _ := index.ParseHeader(a)
				t.Logf("before %+v\nafter  %+v", hb, ha)
			}
		}
	}
}

// TestOracle runs both directions against one real Cyrus 3.6.1.
//
// GyrusToCyrus: a mailbox Gyrus filled passes real reconstruct (-n,
// plain and -G) without a change, real mbexamine, and real imapd serves
// the same FETCH results as Gyrus's view.
//
// CyrusToGyrus: a mailbox filled by real lmtpd and imapd (flags, user
// flags, annotations, expunges) opens in Gyrus while Cyrus runs, passes
// Gyrus's Check, and every record, flag, modseq and cache item equals
// what real Cyrus reports; then Gyrus appends and flags while a Cyrus
// IMAP session has the mailbox selected, and that session sees it.
func TestOracle(t *testing.T) {
	o := startOracle(t)
	t.Run("GyrusToCyrus", func(t *testing.T) {
		o.dial("cyrus", "cyrus-admin-pw").must("CREATE user.alice.gyrus")
		testGyrusToCyrus(t, o, "user.alice.gyrus", "INBOX.gyrus", false)
	})
	// an existing mailbox with by-name ("legacy") directories, as after
	// an upgrade from Cyrus 3.4: mailboxes.db entry by ctl_mboxlist -u,
	// files by reconstruct, then filled by Gyrus
	t.Run("LegacyDirs", func(t *testing.T) {
		entry := `{"user.alice.legacy": {"name": "user.alice.legacy", "mbtype": "el", "partition": "default", ` +
			`"uniqueid": "aaaaaaaa-0000-4000-8000-000000000009", "acl": {"alice": "lrswipkxtecdan"}, ` +
			`"uidvalidity": "1700000000", "createdmodseq": "1", "foldermodseq": "1"}}`
		cmd := exec.Command(o.ref, "tool", o.dir, "ctl_mboxlist", "-u")
		cmd.Stdin = strings.NewReader(entry)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ctl_mboxlist -u: %v %s", err, out)
		}
		if out, err := o.tool("reconstruct", "user.alice.legacy"); err != nil {
			t.Fatalf("reconstruct: %v %s", err, out)
		}
		testGyrusToCyrus(t, o, "user.alice.legacy", "INBOX.legacy", true)
	})
	t.Run("CyrusToGyrus", func(t *testing.T) { testCyrusToGyrus(t, o) })
}

func testGyrusToCyrus(t *testing.T, o *oracle, name, folder string, legacy bool) {
	loc := o.location(name)
	if loc.Legacy != legacy || strings.Contains(loc.Dir, "/uuid/") == legacy {
		t.Fatalf("%s: legacy %v, directory %s", name, loc.Legacy, loc.Dir)
	}
	// Cyrus keeps running: nothing of it has this mailbox open, and the
	// locks keep us apart anyway. Gyrus runs as root here, so the files
	// go back to the cyrus user afterwards.
	fillWithGyrus(t, loc)
	o.chownCyrus()

	// reconstruct -n: report only, must report nothing
	out, err := o.tool("reconstruct", "-n", name)
	if err != nil {
		t.Fatalf("reconstruct -n: %v\n%s", err, out)
	}
	if strings.TrimSpace(out) != name {
		t.Errorf("reconstruct -n reported:\n%s", out)
	}
	// reconstruct for real: no file may change
	before := snapshot(t, loc.Dir)
	out, err = o.tool("reconstruct", name)
	if err != nil {
		t.Fatalf("reconstruct: %v\n%s", err, out)
	}
	if strings.TrimSpace(out) != name {
		t.Errorf("reconstruct reported:\n%s", out)
	}
	diffSnapshots(t, "reconstruct", before, snapshot(t, loc.Dir))
	// reconstruct -G re-parses every message with Cyrus's own parser:
	// the cache entries lib/message made must be what Cyrus makes
	before = snapshot(t, loc.Dir)
	out, err = o.tool("reconstruct", "-G", name)
	if err != nil {
		t.Fatalf("reconstruct -G: %v\n%s", err, out)
	}
	if strings.TrimSpace(out) != name {
		t.Errorf("reconstruct -G reported:\n%s", out)
	}
	diffSnapshots(t, "reconstruct -G", before, snapshot(t, loc.Dir))

	for _, flag := range []string{"-c", "-q"} {
		out, err = o.tool("mbexamine", flag, name)
		if err != nil {
			t.Errorf("mbexamine %s: %v\n%s", flag, err, out)
		}
		for _, bad := range []string{"rror", "ismatch", "MISMATCH", "ERROR", "not found", "wrong"} {
			if strings.Contains(out, bad) {
				t.Errorf("mbexamine %s complains (%q):\n%s", flag, bad, out)
				break
			}
		}
	}
	out, err = o.tool("mbexamine", name)
	if err != nil {
		t.Errorf("mbexamine: %v\n%s", err, out)
	}

	compareFetch(t, o, loc, folder)
}

// compareFetch checks that real imapd's FETCH of every message equals
// what Gyrus reads from the same files.
func compareFetch(t *testing.T, o *oracle, loc mailbox.Location, folder string) {
	t.Helper()
	mb, err := mailbox.Open(loc, mailbox.DefaultOptions(), mailbox.ReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	v, err := mb.NewView()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	c := o.dial("alice", "alicepw")
	c.must("ENABLE CONDSTORE")
	c.must("EXAMINE %s", folder)
	resps := c.must("FETCH 1:* (UID FLAGS MODSEQ RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE BODY BODY.PEEK[])")
	got := 0
	for _, r := range resps {
		seq, items := fetchItems(t, r)
		if seq == 0 {
			continue
		}
		got++
		rec, err := v.Record(uint32(seq))
		if err != nil {
			t.Fatal(err)
		}
		e, err := v.Cache(uint32(seq))
		if err != nil {
			t.Fatal(err)
		}
		what := fmt.Sprintf("seq %d uid %d", seq, rec.UID)
		if string(items["UID"]) != strconv.Itoa(int(rec.UID)) {
			t.Errorf("%s: UID %s", what, items["UID"])
		}
		if string(items["MODSEQ"]) != fmt.Sprintf("(%d)", rec.ModSeq) {
			t.Errorf("%s: MODSEQ %s, gyrus %d", what, items["MODSEQ"], rec.ModSeq)
		}
		if string(items["RFC822.SIZE"]) != strconv.Itoa(int(rec.Size)) {
			t.Errorf("%s: RFC822.SIZE %s, gyrus %d", what, items["RFC822.SIZE"], rec.Size)
		}
		names := v.UserFlags()
		want := mailbox.FlagNames(&rec, names)
		if gotFlags := normFlags(items["FLAGS"]); gotFlags != strings.Join(sortedCopy(want), " ") {
			t.Errorf("%s: FLAGS %s, gyrus %v", what, items["FLAGS"], want)
		}
		idate, err := time.Parse("02-Jan-2006 15:04:05 -0700", string(literalOrString(items["INTERNALDATE"])))
		if err != nil || idate.Unix() != int64(rec.InternalDate) {
			t.Errorf("%s: INTERNALDATE %s, gyrus %d", what, items["INTERNALDATE"], rec.InternalDate)
		}
		for item, n := range map[string]int{"ENVELOPE": index.CacheEnvelope, "BODYSTRUCTURE": index.CacheBodyStructure, "BODY": index.CacheBody} {
			if !bytes.Equal(items[item], e.Items[n]) {
				t.Errorf("%s: %s\ncyrus %s\ngyrus %s", what, item, items[item], e.Items[n])
			}
		}
		f, err := v.OpenMessage(uint32(seq))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(literalOrString(items["BODY[]"]), body) {
			t.Errorf("%s: BODY[] differs", what)
		}
	}
	if got != int(v.Len()) || got == 0 {
		t.Errorf("cyrus fetched %d messages, gyrus view has %d", got, v.Len())
	}
	st := c.must("STATUS %s (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ UNSEEN)", folder)
	h := v.Header()
	want := fmt.Sprintf("MESSAGES %d UIDNEXT %d UIDVALIDITY %d UNSEEN %d HIGHESTMODSEQ %d", h.Exists, h.LastUID+1, h.UIDValidity, h.Unseen, h.HighestModSeq)
	if !bytes.Contains(st[0], []byte(want)) {
		t.Errorf("STATUS %s, gyrus %s", st[0], want)
	}
}

var recentRe = regexp.MustCompile(`\\Recent ?`)

func normFlags(v []byte) string {
	s := strings.Trim(string(v), "()")
	s = strings.TrimSpace(recentRe.ReplaceAllString(s, ""))
	f := strings.Fields(s)
	return strings.Join(sortedCopy(f), " ")
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
