package mailbox

import (
	"errors"
	"os"
	"testing"
	"time"

	"gyrus/lib/mailbox/index"
)

func TestCreateOpen(t *testing.T) {
	mb, loc := newTestMailbox(t)
	h := mb.Header()
	if h.MinorVersion != 17 || h.NumRecords != 0 || h.HighestModSeq != 1 || h.CreatedModSeq != 1 ||
		h.UIDValidity == 0 || h.SyncCRCAnnot != index.CRCInitAnnot || h.HeaderFileCRC == 0 {
		t.Fatalf("new header %+v", h)
	}
	if fileExists(loc.cachePath()) {
		t.Fatal("cyrus.cache must come with the first append")
	}
	if _, err := Create(loc, CreateOptions{}, testOpts()); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	mb2, err := Open(loc, testOpts(), ReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer mb2.Close()
	if mb2.MailboxHeader().Name != "user.alice" || mb2.MailboxHeader().ACL != "alice\tlrswipkxtecdan\t" {
		t.Fatalf("%+v", mb2.MailboxHeader())
	}
	if _, err := mb2.Begin(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("begin on read-only: %v", err)
	}
	if _, err := Open(testLoc(t, t.TempDir(), "none"), testOpts(), ReadOnly); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open missing: %v", err)
	}
	mustCheck(t, mb)
}

func TestAppendFlagsExpungeRepack(t *testing.T) {
	mb, loc := newTestMailbox(t)
	recs := appendN(t, mb, 1, 5)
	for i, r := range recs {
		if r.UID != uint32(i+1) || r.ModSeq != uint64(i+2) || r.CreatedModSeq != r.ModSeq || r.SaveDate == 0 {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	h := mb.Header()
	if h.Exists != 5 || h.LastUID != 5 || h.HighestModSeq != 6 || h.Unseen != 5 || h.Options&index.OptPOP3NewUIDL == 0 {
		t.Fatalf("header %+v", h)
	}
	mustCheck(t, mb)

	v, err := mb.NewView()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Len() != 5 || v.UID(3) != 3 {
		t.Fatalf("view len %d", v.Len())
	}
	e, err := v.Cache(2)
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Items[index.CacheSubject]) != `"message 2"` {
		t.Fatalf("subject %q", e.Items[index.CacheSubject])
	}

	// flags: user flags get slots, each changed record a modseq of its own
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	bits, err := tx.UserFlagBits([]string{"Junk", "$Label1"}, FlagCreateClient)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tx.SetFlags([]uint32{1, 2, 3, 9}, FlagChange{Mode: StoreAdd, System: index.FlagFlagged | index.FlagSeen, User: bits})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Changed || res[0].Record.ModSeq != 7 || res[2].Record.ModSeq != 9 || !res[3].Missing {
		t.Fatalf("results %+v", res)
	}
	res, _ = tx.SetFlags([]uint32{2}, FlagChange{Mode: StoreAdd, System: index.FlagFlagged})
	if res[0].Changed {
		t.Fatal("no-op store changed the record")
	}
	res, _ = tx.SetFlags([]uint32{2, 4}, FlagChange{Mode: StoreAdd, System: index.FlagDeleted, UnchangedSince: 6})
	if !res[0].Failed || !res[1].Changed {
		t.Fatalf("unchangedsince %+v", res)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	h = mb.Header()
	if h.Flagged != 3 || h.Unseen != 2 || h.Deleted != 1 || h.HighestModSeq != 10 {
		t.Fatalf("counters %+v", h)
	}
	if f := mb.UserFlags(); f[0] != "Junk" || f[1] != "$Label1" {
		t.Fatalf("flags %q", f[:3])
	}
	mustCheck(t, mb)
	ch, err := v.Refresh()
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Changed) != 4 || ch.Appended != 0 || !ch.FlagsChanged {
		t.Fatalf("changes %+v", ch)
	}

	// expunge (delayed): record stays, flagged, counters drop
	tx, _ = mb.Begin()
	uids, err := tx.Expunge(nil)
	if err != nil || len(uids) != 1 || uids[0] != 4 {
		t.Fatalf("expunge %v %v", uids, err)
	}
	tx.Commit()
	h = mb.Header()
	if h.Exists != 4 || h.NumRecords != 5 || h.Deleted != 0 || h.FirstExpunged == 0 {
		t.Fatalf("after expunge %+v", h)
	}
	mustCheck(t, mb)
	ch, _ = v.Refresh()
	if len(ch.Expunged) != 1 || ch.Expunged[0] != 4 || v.Len() != 5 {
		t.Fatalf("view after expunge %+v", ch)
	}
	gone := v.Purge()
	if len(gone) != 1 || gone[0].Seq != 4 || gone[0].UID != 4 || v.Len() != 4 || v.UID(4) != 5 {
		t.Fatalf("purge %+v", gone)
	}

	// cyr_expire: mark unlinked, repack drops the record and the file
	tx, _ = mb.Begin()
	n, err := tx.ExpungeCleanup(time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("cleanup %d %v", n, err)
	}
	tx.Commit()
	if mb.Header().Options&index.OptNeedsRepack == 0 {
		t.Fatal("repack not flagged")
	}
	if err := mb.Cleanup(); err != nil {
		t.Fatal(err)
	}
	h = mb.Header()
	if h.NumRecords != 4 || h.Generation != 1 || h.Options&index.OptNeedsRepack != 0 || h.DeletedModSeq == 0 {
		t.Fatalf("after repack %+v", h)
	}
	if fileExists(loc.MessagePath(4)) || !fileExists(loc.MessagePath(5)) {
		t.Fatal("repack removed the wrong files")
	}
	mustCheck(t, mb)
	ch, err = v.Refresh()
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != 4 || !ch.Empty() {
		t.Fatalf("view after repack %d %+v", v.Len(), ch)
	}
	if e, err := v.Cache(4); err != nil || string(e.Items[index.CacheSubject]) != `"message 5"` {
		t.Fatalf("cache after repack %q %v", e.Items[index.CacheSubject], err)
	}
}

func TestNoSelfDeadlock(t *testing.T) {
	mb, _ := newTestMailbox(t)
	appendN(t, mb, 1, 1)
	v, _ := mb.NewView()
	defer v.Close()
	tx, _ := mb.Begin()
	if _, err := v.Refresh(); !errors.Is(err, ErrTxOpen) {
		t.Fatalf("refresh inside a transaction: %v", err)
	}
	if _, err := v.Record(1); err != nil {
		t.Fatalf("record inside a transaction: %v", err)
	}
	if _, err := mb.Begin(); !errors.Is(err, ErrTxOpen) {
		t.Fatalf("second begin: %v", err)
	}
	tx.Commit()
	if _, err := v.Refresh(); err != nil {
		t.Fatal(err)
	}
}

func TestAbortRemovesFiles(t *testing.T) {
	mb, loc := newTestMailbox(t)
	tx, _ := mb.Begin()
	st, mi := stageMsg(t, loc.StageDir, testMessage(1))
	defer st.Close()
	if _, err := tx.Append(&NewMessage{Staged: st, Info: mi}); err != nil {
		t.Fatal(err)
	}
	if !fileExists(loc.MessagePath(1)) {
		t.Fatal("file not placed")
	}
	tx.Abort()
	if fileExists(loc.MessagePath(1)) || mb.Header().NumRecords != 0 {
		t.Fatal("abort left the message")
	}
	appendN(t, mb, 1, 1)
	if mb.Header().LastUID != 1 {
		t.Fatal("uid reused wrongly")
	}
	mustCheck(t, mb)
}

func TestImmediateAndSemidelayed(t *testing.T) {
	for _, mode := range []ExpungeMode{ExpungeImmediate, ExpungeSemiDelayed} {
		t.Run(mode.String(), func(t *testing.T) {
			root := t.TempDir()
			loc := testLoc(t, root, "inbox")
			o := testOpts()
			o.ExpungeMode = mode
			mb, err := Create(loc, CreateOptions{}, o)
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, mb, 1, 3)
			tx, _ := mb.Begin()
			tx.ExpungeUIDs([]uint32{2})
			tx.Commit()
			if fileExists(loc.MessagePath(2)) != true {
				t.Fatal("file removed while open")
			}
			if err := mb.Close(); err != nil {
				t.Fatal(err)
			}
			if fileExists(loc.MessagePath(2)) {
				t.Fatal("file not removed at close")
			}
			mb, err = Open(loc, o, ReadWrite)
			if err != nil {
				t.Fatal(err)
			}
			defer mb.Close()
			h := mb.Header()
			want := uint32(3)
			if mode == ExpungeImmediate {
				want = 2
			}
			if h.NumRecords != want || h.Options&index.CleanupMask != 0 {
				t.Fatalf("%s: %+v", mode, h)
			}
			mustCheck(t, mb)
		})
	}
}

func TestUnexpunge(t *testing.T) {
	mb, loc := newTestMailbox(t)
	appendN(t, mb, 1, 2)
	tx, _ := mb.Begin()
	tx.SetFlags([]uint32{1}, FlagChange{Mode: StoreAdd, System: index.FlagDeleted})
	if err := tx.SetAnnotation(1, "/comment", "", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	tx.Expunge(nil)
	tx.Commit()
	mustCheck(t, mb)
	tx, _ = mb.Begin()
	pairs, err := tx.Unexpunge(func(*index.Record) bool { return true }, true, [4]uint32{})
	if err != nil || len(pairs) != 1 || pairs[0] != [2]uint32{1, 3} {
		t.Fatalf("%v %v", pairs, err)
	}
	tx.Commit()
	r, _ := recordOf(t, mb, 3)
	if r.SystemFlags&index.FlagDeleted != 0 || r.Expunged() {
		t.Fatalf("restored %+v", r)
	}
	if v, _ := mb.Annotation(3, "/comment", ""); string(v) != "hello" {
		t.Fatalf("annotation not copied: %q", v)
	}
	mustCheck(t, mb)
	if err := mb.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if fileExists(loc.MessagePath(1)) || !fileExists(loc.MessagePath(3)) {
		t.Fatal("unexpunge files")
	}
	mustCheck(t, mb)
}

func recordOf(t *testing.T, mb *Mailbox, uid uint32) (index.Record, error) {
	t.Helper()
	var out index.Record
	found := false
	err := mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if r.UID == uid {
			out, found = *r, true
		}
		return nil
	})
	if err != nil || !found {
		t.Fatalf("uid %d: %v", uid, err)
	}
	return out, nil
}

func TestAnnotationsAndQuota(t *testing.T) {
	root := t.TempDir()
	loc := testLoc(t, root, "inbox")
	q := &fakeQuota{limit: 400}
	o := testOpts()
	o.Quota = q
	mb, err := Create(loc, CreateOptions{QuotaRoot: "user.alice"}, o)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	if q.used["user.alice"].Folders != 1 {
		t.Fatalf("create charged %+v", q.used)
	}
	appendN(t, mb, 1, 2) // ~200 bytes each
	if u := q.used["user.alice"]; u.Messages != 2 || u.Storage != int64(mb.Header().QuotaMailboxUsed) {
		t.Fatalf("usage %+v", u)
	}
	tx, _ := mb.Begin()
	st, mi := stageMsg(t, loc.StageDir, testMessage(3))
	defer st.Close()
	if _, err := tx.Append(&NewMessage{Staged: st, Info: mi}); !errors.Is(err, ErrOverQuota) {
		t.Fatalf("over quota append: %v", err)
	}
	if err := tx.SetAnnotation(1, "/comment", "alice", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	if err := tx.SetAnnotation(2, "/comment", "", []byte("shared")); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	h := mb.Header()
	if h.QuotaAnnotUsed != 10 || q.used["user.alice"].AnnotStorage != 10 {
		t.Fatalf("annot used %d %+v", h.QuotaAnnotUsed, q.used)
	}
	mustCheck(t, mb)
	// the owner's private value is stored under the owner token
	db, _ := mb.annotDB(false)
	if _, err := db.Fetch(index.AnnotationKey(1, "/comment", index.OwnerToken)); err != nil {
		t.Fatalf("owner token: %v", err)
	}
	tx, _ = mb.Begin()
	tx.SetAnnotation(2, "/comment", "", nil) // delete: tombstone
	tx.ExpungeUIDs([]uint32{1})
	tx.Commit()
	h = mb.Header()
	if h.QuotaAnnotUsed != 0 || h.SyncCRCAnnot == index.CRCInitAnnot && h.Exists == 0 {
		t.Fatalf("after delete %+v", h)
	}
	mustCheck(t, mb)
	if u := q.used["user.alice"]; u.Messages != 1 || u.AnnotStorage != 0 {
		t.Fatalf("usage after expunge %+v", u)
	}
	tx, _ = mb.Begin()
	tx.MarkDeleted()
	tx.Commit()
	if u := q.used["user.alice"]; !u.IsZero() {
		t.Fatalf("usage after delete %+v", u)
	}
	if err := mb.Close(); err != nil {
		t.Fatal(err)
	}
	if fileExists(loc.Dir) {
		t.Fatal("deleted mailbox directory still there")
	}
	if _, err := os.Stat(loc.NameLock); err != nil {
		t.Fatal("lock file must stay")
	}
}
