package deliver

import (
	"testing"

	"gyrus/lib/mboxlist"
)

// The committer keeps delivery targets open between batches; that must
// not stop another process from deleting (or renaming, repacking) them,
// and a deleted and re-created mailbox must get the new one's messages.
func TestKeptMailboxes(t *testing.T) {
	e := newEnv(t, nil, true)
	e.create("user.alice", "user.alice.Work")
	e.setACL("user.alice.Work", "alice\tlrswipkxtecda\tanyone\tp\t")
	for i, id := range []string{"k1", "k2"} {
		if errs := e.deliver(e.message(testMsg(id), "<"+id+"@x>", ""), "alice+Work"); errs[0] != nil {
			t.Fatalf("delivery %d: %v", i, errs[0])
		}
	}
	if n := e.count("user.alice.Work"); n != 2 {
		t.Fatalf("Work has %d messages, want 2", n)
	}
	// Immediate delete takes the name lock exclusively: with a kept
	// handle holding it shared this would wait forever.
	if _, err := e.list.Delete(mboxlist.DeleteRequest{Name: "user.alice.Work", IsAdmin: true, Immediate: true}); err != nil {
		t.Fatal(err)
	}
	if errs := e.deliver(e.message(testMsg("k3"), "<k3@x>", ""), "alice+Work"); errs[0] != nil {
		t.Fatalf("delivery after delete (falls back to INBOX): %v", errs[0])
	}
	if n := e.count("user.alice"); n != 1 {
		t.Errorf("INBOX has %d messages, want 1", n)
	}
	e.create("user.alice.Work")
	e.setACL("user.alice.Work", "alice\tlrswipkxtecda\tanyone\tp\t")
	if errs := e.deliver(e.message(testMsg("k4"), "<k4@x>", ""), "alice+Work"); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if n := e.count("user.alice.Work"); n != 1 {
		t.Errorf("re-created Work has %d messages, want 1", n)
	}
	if n := len(e.d.c.mbs.m); n == 0 {
		t.Errorf("no mailbox kept open after deliveries")
	}
}
