package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"gyrus/lib/config"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxname"
)

// Paths and lock names of formats-test-vectors.md §2 (instance 2:
// hashimapspool on).
func TestLocateVectors(t *testing.T) {
	ns := mboxname.DefaultNamespace()
	ns.AltNamespace, ns.UnixHierarchySep = false, false
	l := &mboxname.Layout{NS: ns, HashIMAPSpool: true, ConfigDir: "/c", LockDir: "/c/lock"}
	cases := []struct {
		name, id    string
		legacy      bool
		dir, lock   string
		user, owner string
	}{
		{"user.bob", "aaaaaaaa-0000-4000-8000-000000000001", true, "/s/b/user/bob", "/c/lock/b/user/bob.lock", "/c/lock/q/*U*bob.lock", "bob"},
		{"user.bob.Sent^Items", "aaaaaaaa-0000-4000-8000-000000000002", true, "/s/b/user/bob/Sent^Items", "/c/lock/b/user/bob/Sent^Items.lock", "/c/lock/q/*U*bob.lock", "bob"},
		{"DELETED.user.bob.Old.6553F100", "aaaaaaaa-0000-4000-8000-000000000004", true, "/s/u/DELETED/user/bob/Old/6553F100", "/c/lock/u/DELETED/user/bob/Old/6553F100.lock", "/c/lock/q/*U*bob.lock", "bob"},
		{"shared.folder", "bbbbbbbb-0000-4000-8000-000000000005", false, "/s/uuid/b/b/bbbbbbbb-0000-4000-8000-000000000005", "/c/lock/b/bbbbbbbb-0000-4000-8000-000000000005.lock", "", ""},
	}
	for _, c := range cases {
		loc := Locate(l, "default", "/s", c.name, c.id, c.legacy)
		if loc.Dir != c.dir || loc.MetaDir != c.dir || loc.NameLock != c.lock || loc.UserLock != c.user || loc.Owner != c.owner || loc.StageDir != "/s/stage." {
			t.Errorf("%s: %+v", c.name, loc)
		}
	}
}

// singleinstancestore: one staged file, linked into two mailboxes of the
// partition: one inode.
func TestSingleInstanceStore(t *testing.T) {
	root := t.TempDir()
	a, err := Create(testLoc(t, root, "a"), CreateOptions{}, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Create(testLoc(t, root, "b"), CreateOptions{}, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st, mi := stageMsg(t, a.loc.StageDir, testMessage(7))
	for _, mb := range []*Mailbox{a, b} {
		tx, _ := mb.Begin()
		if _, err := tx.Append(&NewMessage{Staged: st, Info: mi}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	fa, _ := os.Stat(a.loc.MessagePath(1))
	fb, _ := os.Stat(b.loc.MessagePath(1))
	if !os.SameFile(fa, fb) || fa.Sys().(*syscall.Stat_t).Nlink != 2 {
		t.Fatal("not one inode")
	}
	// without singleinstancestore: a copy
	o := testOpts()
	o.SingleInstanceStore = false
	c, err := Create(testLoc(t, root, "c"), CreateOptions{}, o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, mi = stageMsg(t, a.loc.StageDir, testMessage(7))
	tx, _ := c.Begin()
	tx.Append(&NewMessage{Staged: st, Info: mi})
	tx.Commit()
	st.Close()
	fc, _ := os.Stat(c.loc.MessagePath(1))
	if os.SameFile(fa, fc) {
		t.Fatal("linked without singleinstancestore")
	}
	mustCheck(t, c)
	// COPY from another mailbox's file
	tx, _ = b.Begin()
	r, _ := recordOf(t, a, 1)
	if _, err := tx.Append(&NewMessage{Path: a.loc.MessagePath(1), Info: mi, InternalDate: unixTime(r.InternalDate)}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	mustCheck(t, b)
}

func TestUserFlagSlots(t *testing.T) {
	mb, _ := newTestMailbox(t)
	tx, _ := mb.Begin()
	for i := 0; i < 100; i++ {
		if _, err := tx.UserFlag(fmt.Sprintf("f%d", i), FlagCreateClient); err != nil {
			t.Fatalf("flag %d: %v", i, err)
		}
	}
	if _, err := tx.UserFlag("f100", FlagCreateClient); !errors.Is(err, ErrUserFlagsExhausted) {
		t.Fatalf("101st client flag: %v", err)
	}
	for i := 100; i < 128; i++ {
		if _, err := tx.UserFlag(fmt.Sprintf("f%d", i), FlagCreateAny); err != nil {
			t.Fatalf("flag %d: %v", i, err)
		}
	}
	if _, err := tx.UserFlag("f128", FlagCreateAny); !errors.Is(err, ErrUserFlagsExhausted) {
		t.Fatalf("129th flag: %v", err)
	}
	if n, _ := tx.UserFlag("F7", FlagLookup); n != 7 {
		t.Fatalf("case-insensitive lookup: %d", n)
	}
	for _, bad := range []string{`\Seen`, "a b", "x(", "", "é"} {
		if _, err := tx.UserFlag(bad, FlagCreateAny); err == nil {
			t.Errorf("flag %q accepted", bad)
		}
	}
	tx.RemoveUserFlag(5)
	if n, err := tx.UserFlag("new", FlagCreateClient); n != 5 || err != nil {
		t.Fatalf("slot reuse: %d %v", n, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	f := mb.UserFlags()
	if f[5] != "new" || f[127] != "f127" {
		t.Fatalf("flags %q %q", f[5], f[127])
	}
	mustCheck(t, mb)
}

// Rename keeping the files (by-uuid) and moving them (another partition
// or a by-name directory), the files side of RENAME and of delayed
// DELETE.
func TestRenameAndMove(t *testing.T) {
	mb, loc := newTestMailbox(t)
	appendN(t, mb, 1, 3)
	tx, _ := mb.Begin()
	tx.SetAnnotation(2, "/comment", "", []byte("kept"))
	before := tx.Header().HighestModSeq
	tx.SetName("user.alice.renamed", false)
	tx.Commit()
	if mb.MailboxHeader().Name != "user.alice.renamed" || mb.Header().HighestModSeq <= before {
		t.Fatalf("rename in place: %+v", mb.MailboxHeader())
	}
	mustCheck(t, mb)

	dst := testLoc(t, t.TempDir(), "moved")
	tx, _ = mb.Begin()
	if err := tx.CopyFiles(dst); err != nil {
		t.Fatal(err)
	}
	tx.Abort()
	nb, err := Open(dst, testOpts(), ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	tx, _ = nb.Begin()
	tx.SetName("DELETED.user.alice.renamed.6553F100", true)
	tx.SetUniqueID(dst.UniqueID)
	tx.Commit()
	mustCheck(t, nb)
	if v, _ := nb.Annotation(2, "/comment", ""); string(v) != "kept" {
		t.Fatalf("annotation after move: %q", v)
	}
	nb.Close()
	// the source goes away
	tx, _ = mb.Begin()
	tx.MarkDeleted()
	tx.Commit()
	if err := mb.Close(); err != nil {
		t.Fatal(err)
	}
	if fileExists(loc.Dir) {
		t.Fatal("source directory left")
	}
	if _, err := Open(loc, testOpts(), ReadOnly); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open deleted: %v", err)
	}
}

func TestViewSequences(t *testing.T) {
	mb, _ := newTestMailbox(t)
	appendN(t, mb, 1, 6)
	tx, _ := mb.Begin()
	tx.ExpungeUIDs([]uint32{2, 5})
	tx.Commit()
	v, _ := mb.NewView()
	defer v.Close()
	// a new view never shows expunged messages
	want := []uint32{1, 3, 4, 6}
	if v.Len() != 4 {
		t.Fatalf("len %d", v.Len())
	}
	for i, u := range want {
		if v.UID(uint32(i+1)) != u {
			t.Fatalf("seq %d uid %d", i+1, v.UID(uint32(i+1)))
		}
	}
	if s, ok := v.Seq(4); !ok || s != 3 {
		t.Fatalf("Seq(4) %d %v", s, ok)
	}
	if s, ok := v.Seq(5); ok || s != 3 {
		t.Fatalf("Seq(5) %d %v", s, ok)
	}
	if lo, hi := v.UIDRange(2, 5); lo != 2 || hi != 3 {
		t.Fatalf("UIDRange(2,5) %d %d", lo, hi)
	}
	if lo, hi := v.UIDRange(7, 100); lo <= hi {
		t.Fatalf("empty range %d %d", lo, hi)
	}
	// expunges by others: seqs 1 and 3 (uids 1, 4), reported then purged
	other, _ := Open(mb.loc, testOpts(), ReadWrite)
	defer other.Close()
	tx, _ = other.Begin()
	tx.ExpungeUIDs([]uint32{1, 4})
	tx.Commit()
	appendN(t, other, 10, 1)
	ch, _ := v.Refresh()
	if ch.Appended != 1 || len(ch.Expunged) != 2 || ch.Expunged[0] != 1 || ch.Expunged[1] != 3 || v.Len() != 5 {
		t.Fatalf("changes %+v len %d", ch, v.Len())
	}
	if _, err := v.Record(1); err != nil {
		t.Fatalf("expunged but not purged message must still be readable: %v", err)
	}
	gone := v.Purge()
	if len(gone) != 2 || gone[0] != (Expunged{Seq: 1, UID: 1}) || gone[1] != (Expunged{Seq: 2, UID: 4}) {
		t.Fatalf("purge %+v", gone)
	}
	if v.Len() != 3 || v.UID(3) != 7 {
		t.Fatalf("after purge len %d uid %d", v.Len(), v.UID(3))
	}
	if v.UIDNext() != 8 {
		t.Fatalf("uidnext %d", v.UIDNext())
	}
	// read a byte range of a message without reading all of it
	f, err := v.OpenMessage(1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(io.NewSectionReader(f, 0, 5))
	if string(b) != "From:" {
		t.Fatalf("range %q", b)
	}
}

// The SECTION item written at append time maps the parts of a multipart
// message to byte ranges of its file.
func TestSectionOfMultipart(t *testing.T) {
	mb, loc := newTestMailbox(t)
	msg := []byte("From: a@b\r\nSubject: mp\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n" +
		"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfirst part\r\n" +
		"--XX\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n--XX--\r\n")
	st, mi := stageMsg(t, loc.StageDir, msg)
	defer st.Close()
	tx, _ := mb.Begin()
	tx.Append(&NewMessage{Staged: st, Info: mi})
	tx.Commit()
	v, _ := mb.NewView()
	defer v.Close()
	e, err := v.Cache(1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := index.ParseSection(e.Items[index.CacheSection])
	if err != nil {
		t.Fatal(err)
	}
	// top level: the message, then the multipart's parts 1 and 2
	if len(s.Parts) != 3 {
		t.Fatalf("structure %+v", s)
	}
	p1, p2 := s.Parts[1], s.Parts[2]
	if got := string(msg[p1.ContentOffset : p1.ContentOffset+p1.ContentSize]); got != "first part" || p1.Charset != "utf-8" {
		t.Fatalf("part 1 %q %+v", got, p1)
	}
	if got := string(msg[p2.ContentOffset : p2.ContentOffset+p2.ContentSize]); !bytes.HasPrefix([]byte(got), []byte("PGI+aGk8L2I+")) || p2.Encoding != 2 {
		t.Fatalf("part 2 %q %+v", got, p2)
	}
	_ = filepath.Join
}

func TestOptionsFromConfig(t *testing.T) {
	c, err := config.Parse("imapd.conf", []byte("configdirectory: /x\npartition-default: /y\nexpunge_mode: immediate\nsingleinstancestore: no\n"), "imapd")
	if err != nil {
		t.Fatal(err)
	}
	o, err := OptionsFromConfig(c)
	if err != nil || o.ExpungeMode != ExpungeImmediate || o.SingleInstanceStore || o.AnnotationDB != "twoskip" {
		t.Fatalf("%+v %v", o, err)
	}
	c, _ = config.Parse("imapd.conf", []byte("configdirectory: /x\npartition-default: /y\n"), "imapd")
	if o, _ := OptionsFromConfig(c); o.ExpungeMode != ExpungeDelayed || !o.SingleInstanceStore {
		t.Fatalf("defaults %+v", o)
	}
}

// TestFlushThenCommit flushes the transactions of two mailboxes at once
// (as lmtpd does while it marks deliver.db), appends once more to one of
// them, and commits both: every message is there, Commit flushed what
// came after the Flush, and Check finds nothing.
// It runs with the shared file system sync and with an fsync per file.
func TestFlushThenCommit(t *testing.T) {
	for _, perFile := range []bool{false, true} {
		t.Run(fmt.Sprintf("perFile=%v", perFile), func(t *testing.T) {
			forceFileSyncs = perFile
			defer func() { forceFileSyncs = false }()
			testFlushThenCommit(t)
		})
	}
}

func testFlushThenCommit(t *testing.T) {
	root := t.TempDir()
	var mbs []*Mailbox
	var txs []*Tx
	for _, name := range []string{"inbox", "work"} {
		loc := testLoc(t, root, name)
		// two mailboxes of one owner in one go: the caller holds the
		// owner's lock (lmtpd's batch does)
		loc.UserLock = ""
		mb, err := Create(loc, CreateOptions{}, testOpts())
		if err != nil {
			t.Fatal(err)
		}
		defer mb.Close()
		tx, err := mb.Begin()
		if err != nil {
			t.Fatal(err)
		}
		mbs, txs = append(mbs, mb), append(txs, tx)
	}
	add := func(tx *Tx, i int) {
		st, mi := stageMsg(t, tx.mb.loc.StageDir, testMessage(i))
		defer st.Close()
		if _, err := tx.Append(&NewMessage{Staged: st, Info: mi}); err != nil {
			t.Fatal(err)
		}
	}
	add(txs[0], 1)
	add(txs[1], 2)
	if err := Flush(txs...); err != nil {
		t.Fatal(err)
	}
	for _, tx := range txs {
		if len(tx.syncFiles) != 0 || len(tx.syncDirs) != 0 || tx.cacheSynced != len(tx.cacheBuf) {
			t.Fatalf("after Flush: %d files, %d dirs, cache %d of %d synced", len(tx.syncFiles), len(tx.syncDirs), tx.cacheSynced, len(tx.cacheBuf))
		}
	}
	add(txs[0], 3)
	for _, tx := range txs {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := Flush(txs[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Commit: %v", err)
	}
	for i, want := range [][]int{{1, 3}, {2}} {
		mb := mbs[i]
		if n := mb.Header().Exists; int(n) != len(want) {
			t.Fatalf("%s: %d messages, want %d", mb.loc.Name, n, len(want))
		}
		for j, m := range want {
			if got := readAll(t, mb, uint32(j+1)); !bytes.Equal(got, testMessage(m)) {
				t.Errorf("%s uid %d: wrong content", mb.loc.Name, j+1)
			}
		}
		if probs, err := mb.Check(CheckOptions{}); err != nil || len(probs) > 0 {
			t.Errorf("%s: check: %v %v", mb.loc.Name, probs, err)
		}
	}
}
