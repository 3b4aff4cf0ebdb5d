package mailbox

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

func testLoc(t testing.TB, root, name string) Location {
	t.Helper()
	dir := filepath.Join(root, "spool", name)
	return Location{
		Name: "user.alice" + suffix(name), UniqueID: "id-" + name, Partition: "default",
		Dir: dir, MetaDir: dir, StageDir: filepath.Join(root, "spool", "stage."),
		NameLock: filepath.Join(root, "lock", name+".lock"),
		UserLock: filepath.Join(root, "lock", "*U*alice.lock"),
		Owner:    "alice",
	}
}

func suffix(name string) string {
	if name == "inbox" {
		return ""
	}
	return "." + name
}

func testOpts() Options {
	o := DefaultOptions()
	return o
}

func newTestMailbox(t testing.TB) (*Mailbox, Location) {
	t.Helper()
	root := t.TempDir()
	loc := testLoc(t, root, "inbox")
	mb, err := Create(loc, CreateOptions{ACL: "alice\tlrswipkxtecdan\t"}, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	return mb, loc
}

func testMessage(i int) []byte {
	return []byte(fmt.Sprintf("From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: message %d\r\n"+
		"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <%d@example.com>\r\n\r\nHello %d\r\n", i, i, i))
}

// stageMsg stages and parses a message.
func stageMsg(t testing.TB, stageDir string, body []byte) (*Staged, MessageInfo) {
	t.Helper()
	st, err := Stage(stageDir, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	mi, err := st.Parse(message.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return st, mi
}

func appendN(t testing.TB, mb *Mailbox, from, n int) []index.Record {
	t.Helper()
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var out []index.Record
	for i := from; i < from+n; i++ {
		st, mi := stageMsg(t, mb.loc.StageDir, testMessage(i))
		r, err := tx.Append(&NewMessage{Staged: st, Info: mi, InternalDate: time.Unix(1700000000+int64(i), 0)})
		st.Close()
		if err != nil {
			tx.Abort()
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustCheck(t testing.TB, mb *Mailbox) {
	t.Helper()
	probs, err := mb.Check(CheckOptions{GUIDs: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Error(p)
	}
	if len(probs) > 0 {
		t.FailNow()
	}
}

// fakeQuota records charges and enforces a storage limit.
type fakeQuota struct {
	mu      sync.Mutex
	used    map[string]Usage
	limit   int64
	charges int
}

func (q *fakeQuota) Check(root string, d Usage) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.limit > 0 && q.used[root].Storage+d.Storage > q.limit {
		return fmt.Errorf("%s: %w", root, ErrOverQuota)
	}
	return nil
}

func (q *fakeQuota) Charge(root string, d Usage) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.used == nil {
		q.used = map[string]Usage{}
	}
	q.used[root] = q.used[root].Add(d)
	q.charges++
	return nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func unixTime(s uint32) time.Time { return time.Unix(int64(s), 0) }
