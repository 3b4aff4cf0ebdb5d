package deliver

import (
	"bufio"
	"path/filepath"
	"strings"
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

// deliver.db is read under the owner's lock, and a mark is written
// before the mailbox commit with the UID the message gets (dupmark.go):
// a mark written by another process (here another handle on the file)
// suppresses a delivery when it stands for a message the mailbox got,
// and does not when its UID was never committed or holds another
// message (a crash between the mark and the mailbox commit).
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
	want := 0
	deliver := func(id string, suppressed bool) {
		t.Helper()
		if errs := e.deliver(e.message(testMsg(id), "<"+id+"@x>", ""), "bob"); errs[0] != nil {
			t.Fatal(errs[0])
		}
		if !suppressed {
			want++
		}
		if n := e.count("user.bob"); n != want {
			t.Fatalf("after %s: INBOX has %d messages, want %d", id, n, want)
		}
	}
	mark := func(id string, uid uint64) {
		t.Helper()
		m := e.message(testMsg(id), "<"+id+"@x>", "")
		if err := other.Mark(duplicate.Key{ID: m.ID, To: ent.UniqueID, Date: m.Date}, 1700000000, uid); err != nil {
			t.Fatal(err)
		}
	}
	deliver("m0", false) // UID 1
	deliver("m0", true)  // its own mark, written before the commit, UID 1
	mark("d1", 0)        // a Sieve-style or old record: trusted, as by Cyrus
	deliver("d1", true)
	mark("d2", 1) // UID 1 holds m0: the commit of d2 never happened
	deliver("d2", false)
	mark("d3", 99) // beyond the last UID: never committed
	deliver("d3", false)
	deliver("d3", true) // now it is there: suppressed
	recs, err := other.CheckRecords([]duplicate.Key{{ID: "<d3@x>", To: ent.UniqueID}})
	if err != nil || recs[0].UID != 3 {
		t.Fatalf("mark of d3 after its delivery: %+v %v (want UID 3)", recs, err)
	}
}

func TestFirstField(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Subject: x\r\nMessage-ID: <a@b>\r\n\r\nbody", "<a@b>"},
		{"message-id:\t <a@b> \r\n\r\n", "<a@b> "},
		{"Message-ID:\r\n <a@\r\n\tb>\r\n\r\n", "<a@\tb>"},
		{"Message-ID : <c@d>\n\n", "<c@d>"},
		{"Subject: x\r\n\r\nMessage-ID: <body@b>\r\n", ""},
		{"X: a\r\n Message-ID: <folded@b>\r\n\r\n", ""},
	} {
		got, _, err := firstField(bufio.NewReader(strings.NewReader(c.in)), "message-id")
		if err != nil || got != c.want {
			t.Errorf("%q: %q %v, want %q", c.in, got, err, c.want)
		}
	}
}
