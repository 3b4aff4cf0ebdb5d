package deliver

import (
	"path/filepath"
	"testing"

	"gyrus/lib/duplicate"
	"gyrus/lib/mboxlist"
)

// A kept mailboxes.db answer is used only while the file is unchanged:
// a mailbox created or deleted through another handle on the file (as
// another process would) is seen at the next lookup.
func TestLookupCacheFollowsFile(t *testing.T) {
	e := newEnv(t, nil, true)
	e.create("user.alice")
	if _, err := e.d.lookup("user.alice.Work"); CodeOf(err) != CodeMailboxNonexistent {
		t.Fatalf("lookup before create: %v", err)
	}
	if _, hit := cached(e.d, "user.alice.Work"); !hit {
		t.Fatalf("not-found answer not kept while the file is unchanged")
	}
	other, err := mboxlist.Open(*e.list.Settings())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Create(mboxlist.CreateRequest{Name: "user.alice.Work", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	if _, hit := cached(e.d, "user.alice.Work"); hit {
		t.Fatalf("answer still served after another handle changed mailboxes.db")
	}
	got, err := e.d.lookup("user.alice.Work")
	if err != nil || got.Name != "user.alice.Work" {
		t.Fatalf("lookup after create elsewhere: %v %v", got, err)
	}
	got.ACL = "changed by the caller"
	again, err := e.d.lookup("user.alice.Work")
	if err != nil || again.ACL == "changed by the caller" {
		t.Fatalf("callers share the kept entry: %+v %v", again, err)
	}
	if _, err := other.Delete(mboxlist.DeleteRequest{Name: "user.alice.Work", IsAdmin: true, Immediate: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.d.lookup("user.alice.Work"); CodeOf(err) != CodeMailboxNonexistent {
		t.Fatalf("lookup after delete elsewhere: %v", err)
	}
}

func cached(d *Deliverer, name string) (lookupResult, bool) {
	r, _, _, hit := d.mbc.get(name)
	return r, hit
}

// deliver.db is read under the owner's lock: a mark written by another
// process (here another handle on the file) before this delivery takes
// the lock suppresses it.
func TestDuplicateMarkedElsewhere(t *testing.T) {
	e := newEnv(t, nil, true)
	e.create("user.bob")
	other, err := duplicate.Open(filepath.Join(e.dir, "conf", "deliver.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ent, err := e.d.lookup("user.bob")
	if err != nil {
		t.Fatal(err)
	}
	m := e.message(testMsg("d1"), "<d1@x>", "")
	if err := other.Mark(duplicate.Key{ID: m.ID, To: ent.UniqueID, Date: m.Date}, 1700000000, 1); err != nil {
		t.Fatal(err)
	}
	if errs := e.deliver(m, "bob"); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if n := e.count("user.bob"); n != 0 {
		t.Fatalf("INBOX has %d messages, want 0 (marked by another process)", n)
	}
	if errs := e.deliver(e.message(testMsg("d2"), "<d2@x>", ""), "bob"); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if n := e.count("user.bob"); n != 1 {
		t.Fatalf("INBOX has %d messages, want 1", n)
	}
}
