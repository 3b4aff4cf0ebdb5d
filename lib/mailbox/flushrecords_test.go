package mailbox

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"gyrus/lib/mailbox/index"
)

// TestFlushWritesRecords checks the commit order that lets the index
// header be synced as an overwrite: Flush writes the appended records
// past the end the old header knows (which still says they are not
// there), and a commit after more appends, and after flags were changed
// on a record Flush had written, stores each record as it ends up.
func TestFlushWritesRecords(t *testing.T) {
	mb, loc := newTestMailbox(t)
	appendN(t, mb, 1, 2)
	before := mb.Header()

	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	add := func(i int) index.Record {
		st, mi := stageMsg(t, loc.StageDir, testMessage(i))
		defer st.Close()
		r, err := tx.Append(&NewMessage{Staged: st, Info: mi, InternalDate: time.Unix(1700000000+int64(i), 0)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := add(3)
	if err := Flush(tx); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(loc.indexPath())
	if err != nil {
		t.Fatal(err)
	}
	if want := before.RecordOffset(before.NumRecords + 2); int64(len(data)) != want {
		t.Fatalf("after Flush the index has %d bytes, want %d (the appended record written)", len(data), want)
	}
	if h, err := index.ParseHeader(data); err != nil || h.NumRecords != before.NumRecords {
		t.Fatalf("after Flush the header says %d records (%v), want the old %d", h.NumRecords, err, before.NumRecords)
	}
	if _, err := tx.SetFlags([]uint32{first.UID}, FlagChange{Mode: StoreAdd, System: index.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	second := add(4)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	mb2, err := Open(loc, testOpts(), ReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer mb2.Close()
	got := map[uint32]index.Record{}
	if err := mb2.ForEachRecord(func(_ uint32, r *index.Record) error { got[r.UID] = *r; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d records after the commit, want 4", len(got))
	}
	if got[first.UID].SystemFlags&index.FlagFlagged == 0 {
		t.Errorf("uid %d: the flag set after Flush wrote the record is lost", first.UID)
	}
	if _, ok := got[second.UID]; !ok {
		t.Errorf("uid %d appended after Flush is missing", second.UID)
	}
	mustCheck(t, mb2)
}

// TestAppendMakesMissingDirs appends to a mailbox whose data directory
// (apart from its metadata, as with a metapartition) and staging
// directory were removed: both are made again when a file cannot be
// created in them, which is the only time they are looked for.
func TestAppendMakesMissingDirs(t *testing.T) {
	root := t.TempDir()
	loc := testLoc(t, root, "inbox")
	loc.MetaDir = filepath.Join(root, "meta", "inbox")
	mb, err := Create(loc, CreateOptions{ACL: "alice\tlrswipkxtecdan\t"}, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	appendN(t, mb, 1, 1)
	for _, d := range []string{loc.Dir, loc.StageDir} {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	recs := appendN(t, mb, 2, 1)
	if !fileExists(loc.MessagePath(recs[0].UID)) {
		t.Fatalf("uid %d: no message file after the data directory was made again", recs[0].UID)
	}
}
