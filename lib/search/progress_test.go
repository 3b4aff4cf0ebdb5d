package search_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"gyrus/lib/mailbox"
	"gyrus/lib/message"
	"gyrus/lib/search"
)

// TestProgress: Options.Progress sees every message, in order, with the
// total, expunged or not (RFC 9585 INPROGRESS counts the work done).
func TestProgress(t *testing.T) {
	const n = 5
	dir := t.TempDir()
	sp := filepath.Join(dir, "spool")
	loc := mailbox.Location{Name: "user.pg", UniqueID: "id-pg", Partition: "default",
		Dir: sp, MetaDir: sp, StageDir: filepath.Join(dir, "stage."), Owner: "pg"}
	mb, err := mailbox.Create(loc, mailbox.CreateOptions{ACL: "pg\tlrswipkxtecdan\t"}, mailbox.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		st, err := mailbox.Stage(loc.StageDir, bytes.NewReader([]byte(fmt.Sprintf("Subject: m %d\r\n\r\nbody\r\n", i))))
		if err != nil {
			t.Fatal(err)
		}
		mi, err := st.Parse(message.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Append(&mailbox.NewMessage{Staged: st, Info: mi, InternalDate: time.Unix(1700000000, 0)}); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	v, err := mb.NewView()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	a := parseSearch(t, "SEARCH BODY body")
	var calls [][2]uint32
	res, err := search.Search(v, a.Program, a.Charset, &search.Options{Progress: func(done, total uint32) {
		calls = append(calls, [2]uint32{done, total})
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Seqs) != n {
		t.Fatalf("%d matches, want %d", len(res.Seqs), n)
	}
	if len(calls) != n {
		t.Fatalf("%d progress calls, want %d: %v", len(calls), n, calls)
	}
	for i, c := range calls {
		if c != [2]uint32{uint32(i), n} {
			t.Fatalf("call %d: %v", i, c)
		}
	}
}
