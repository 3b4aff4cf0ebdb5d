package mboxlist

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxname"
	"gyrus/lib/quota"
)

func TestCreateLookupDump(t *testing.T) {
	l, _ := testList(t)
	a := mustCreate(t, l, "user.alice")
	if len(a.UniqueID) != 24 || a.Partition != "default" || a.ACL != "alice\t"+OwnerRights+"\t" {
		t.Fatalf("entry %+v", a)
	}
	mustCreate(t, l, "user.alice.Sent")
	mustCreate(t, l, "shared")
	// a folder two levels down fills in the missing parent as a real mailbox
	mustCreate(t, l, "user.alice.a.b")
	p, err := l.Lookup("user.alice.a")
	if err != nil || !p.IsActive() {
		t.Fatalf("intermediate parent: %v %+v", err, p)
	}
	sh, _ := l.Lookup("shared")
	if sh.ACL != "anyone\tlrs\t" {
		t.Fatalf("shared acl %q", sh.ACL)
	}
	if _, err := l.Create(CreateRequest{Name: "user.alice.Sent", IsAdmin: true}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate create: %v", err)
	}
	if _, err := l.Create(CreateRequest{Name: "user.bob.x", IsAdmin: true}); !errors.Is(err, ErrPermission) {
		t.Fatalf("user.bob.x without user.bob: %v", err)
	}
	if _, err := l.Create(CreateRequest{Name: "top"}); !errors.Is(err, ErrPermission) {
		t.Fatalf("non-admin top level: %v", err)
	}
	ie, err := l.LookupID(a.UniqueID)
	if err != nil || ie.Name != "user.alice" {
		t.Fatalf("by id: %v %+v", err, ie)
	}
	// the files exist where the entry says
	loc, _ := l.Settings().Locate(a)
	if !mailbox.Exists(loc) {
		t.Fatalf("no files at %s", loc.Dir)
	}
	var buf bytes.Buffer
	if err := l.Dump(&buf, DumpOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"{\n\"shared\": {\"name\": \"shared\", \"mtime\": \"1700000000\"", "\"user.alice.Sent\": {", "\"acl\": {\"alice\": \"lrswipkxtecdan\"}", "\n}\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
}

func TestRenameTreeAndHistory(t *testing.T) {
	l, _ := testList(t)
	a := mustCreate(t, l, "user.alice")
	s := mustCreate(t, l, "user.alice.Sent")
	mustCreate(t, l, "user.bob")
	if err := l.RenameTree(RenameRequest{Old: "user.alice", New: "user.carol", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"user.alice", "user.alice.Sent"} {
		e, err := l.LookupAll(n)
		if err != nil || e.Type&Deleted == 0 || e.ACL != "" || e.Partition != "" {
			t.Fatalf("%s after rename: %v %+v", n, err, e)
		}
	}
	c, err := l.Lookup("user.carol.Sent")
	if err != nil || c.UniqueID != s.UniqueID || c.FolderModSeq != 4 { // 2 for the rename, 2 for the ACL
		t.Fatalf("renamed: %v %+v", err, c)
	}
	ie, _ := l.LookupID(a.UniqueID)
	if ie.Name != "user.carol" || len(ie.History) != 1 || ie.History[0].Name != "user.alice" || ie.History[0].Type != Deleted {
		t.Fatalf("history %+v", ie)
	}
	// the header follows
	loc, _ := l.Settings().Locate(c)
	mh, err := readHeader(filepath.Join(loc.MetaDir, "cyrus.header"))
	if err != nil || mh.Name != "user.carol.Sent" {
		t.Fatalf("header %v %+v", err, mh)
	}
	// the old owner's ACL entry goes to the new owner, in the record and
	// in cyrus.header (Cyrus imapd's user_renameacl after the rename)
	if c.ACL != "carol\t"+OwnerRights+"\t" || mh.ACL != c.ACL {
		t.Fatalf("acl %q, header %q", c.ACL, mh.ACL)
	}
}

// The ACL hand-over of a user rename, as the real Cyrus 3.6.1 did it
// (admin RENAME user.alice user.carol with allowusermoves, then GETACL):
// an existing entry of the new owner is replaced in place, otherwise the
// entry is appended; negative entries stay; each change takes a folder
// modseq (two after the rename's own).
func TestRenameACLUserAsCyrus(t *testing.T) {
	for _, c := range [][3]string{
		{"alice\tlrswipkxtecdan\tdave\tlrs\t-alice\tp\t", "dave\tlrs\t-alice\tp\tcarol\tlrswipkxtecdan\t"},
		{"alice\tlrswipkxtecdan\tbob\tlr\tcarol\tw\t", "bob\tlr\tcarol\tlrswipkxtecdan\t"},
		{"bob\tlr\t", "bob\tlr\t"},
		{"", ""},
	} {
		if got := RenameACLUser(c[0], "alice", "carol"); got != c[1] {
			t.Errorf("RenameACLUser(%q) = %q, want %q", c[0], got, c[1])
		}
	}
	l, _ := testList(t)
	mustCreate(t, l, "user.alice")
	sent := mustCreate(t, l, "user.alice.Sent")
	if err := l.SetACL("user.alice.Sent", "alice\tlrswipkxtecdan\tbob\tlr\tcarol\tw\t"); err != nil {
		t.Fatal(err)
	}
	before, _ := l.Lookup("user.alice.Sent")
	if err := l.RenameTree(RenameRequest{Old: "user.alice", New: "user.carol", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	after, err := l.Lookup("user.carol.Sent")
	if err != nil || after.UniqueID != sent.UniqueID || after.ACL != "bob\tlr\tcarol\tlrswipkxtecdan\t" {
		t.Fatalf("%v %+v", err, after)
	}
	if tomb, _ := l.LookupAll("user.alice.Sent"); after.FolderModSeq != tomb.FolderModSeq+2 || tomb.FolderModSeq <= before.FolderModSeq {
		t.Fatalf("folder modseqs: before %d, tombstone %d, after %d", before.FolderModSeq, tomb.FolderModSeq, after.FolderModSeq)
	}
	// a rename inside one user leaves the ACL alone
	if err := l.RenameTree(RenameRequest{Old: "user.carol.Sent", New: "user.carol.Old", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	if o, _ := l.Lookup("user.carol.Old"); o.ACL != after.ACL {
		t.Fatalf("acl %q", o.ACL)
	}
}

func TestDelayedAndImmediateDelete(t *testing.T) {
	l, _ := testList(t)
	mustCreate(t, l, "user.alice")
	s := mustCreate(t, l, "user.alice.Sent")
	nn, err := l.Delete(DeleteRequest{Name: "user.alice.Sent", IsAdmin: true})
	if err != nil || !strings.HasPrefix(nn, "DELETED.user.alice.Sent.") {
		t.Fatalf("delayed delete: %q %v", nn, err)
	}
	d, err := l.Lookup(nn)
	if err != nil || d.UniqueID != s.UniqueID {
		t.Fatalf("deleted copy %v %+v", err, d)
	}
	if _, err := l.Lookup("user.alice.Sent"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old name: %v", err)
	}
	// cyr_expire's removal of the DELETED copy: the record goes entirely
	if _, err := l.Delete(DeleteRequest{Name: nn, IsAdmin: true, Immediate: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.LookupAll(nn); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DELETED record left: %v", err)
	}
	loc, _ := l.Settings().Locate(d)
	if _, err := os.Stat(loc.Dir); !os.IsNotExist(err) {
		t.Fatalf("files left: %v", err)
	}
	// own INBOX
	if _, err := l.Delete(DeleteRequest{Name: "user.alice", UserID: "alice"}); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("own inbox: %v", err)
	}
	// immediate delete of a mailbox with children leaves an 'i' entry
	mustCreate(t, l, "user.alice.p")
	mustCreate(t, l, "user.alice.p.c")
	if _, err := l.Delete(DeleteRequest{Name: "user.alice.p", IsAdmin: true, Immediate: true}); err != nil {
		t.Fatal(err)
	}
	e, err := l.LookupAll("user.alice.p")
	if err != nil || e.Type != Intermediate {
		t.Fatalf("intermediate: %v %+v", err, e)
	}
}

func TestReservedAndVerifyRepair(t *testing.T) {
	l, _ := testList(t)
	mustCreate(t, l, "user.alice")
	// a crash after the reservation, before the files: -v drops it
	res := &Entry{Name: "user.alice.z", Type: Reserved, UniqueID: NewUniqueID(), Partition: "default", HasACL: true}
	if err := l.Update(func(t *Tx) error { return t.Put(res.Name, res) }); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lookup("user.alice.z"); !errors.Is(err, ErrReserved) {
		t.Fatalf("reserved lookup: %v", err)
	}
	probs, err := l.Verify(VerifyOptions{Repair: true})
	if err != nil || len(probs) != 1 || !probs[0].Fixed {
		t.Fatalf("verify: %v %v", err, probs)
	}
	if _, err := l.LookupAll("user.alice.z"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("reservation left: %v", err)
	}
	probs, _ = l.Verify(VerifyOptions{})
	if len(probs) != 0 {
		t.Fatalf("clean list reports %v", probs)
	}
}

func TestQuotaRootsFollowMailboxes(t *testing.T) {
	l, dir := testList(t)
	q := withQuota(t, dir)
	l.Settings().Quota = q
	mustCreate(t, l, "user.alice")
	if err := l.SetQuota(q, "user.alice", map[quota.Resource]int64{quota.Storage: 1000}, false); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, l, "user.alice.Sent")
	qr, err := q.Read("user.alice")
	if err != nil || qr.Used[3] != 2 || qr.Limit[0] != 1000 {
		t.Fatalf("quota %v %+v", err, qr)
	}
}

func TestSetACL(t *testing.T) {
	l, _ := testList(t)
	mustCreate(t, l, "user.alice")
	if err := l.SetACL("user.alice", "alice\tlrswipkxtecdan\tbob\tlrs\t"); err != nil {
		t.Fatal(err)
	}
	e, _ := l.Lookup("user.alice")
	if e.ACL != "alice\tlrswipkxtecdan\tbob\tlrs\t" || e.FolderModSeq != 2 {
		t.Fatalf("%+v", e)
	}
	loc, _ := l.Settings().Locate(e)
	mh, _ := readHeader(filepath.Join(loc.MetaDir, "cyrus.header"))
	if mh.ACL != e.ACL {
		t.Fatalf("header acl %q", mh.ACL)
	}
}

func TestFindAllOrderAndPatterns(t *testing.T) {
	l, _ := testList(t)
	for _, n := range []string{"user.alice", "user.alice.Sent", "user.alice.a", "user.bob", "shared", "shared.x", "archive"} {
		mustCreate(t, l, n)
	}
	var got []string
	l.FindAll([]string{"*"}, mboxname.Viewer{UserID: "alice"}, 0, func(f Found) error {
		got = append(got, f.External)
		return nil
	})
	want := "INBOX INBOX.Sent INBOX.a user.bob archive shared shared.x"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v\nwant %s", got, want)
	}
	got = nil
	l.FindAll([]string{"inbox.%", "shared"}, mboxname.Viewer{UserID: "alice"}, 0, func(f Found) error {
		got = append(got, f.External)
		return nil
	})
	if strings.Join(got, " ") != "INBOX.Sent INBOX.a shared" {
		t.Fatalf("%v", got)
	}
	for _, c := range []struct {
		p, n string
		ok   bool
	}{{"INBOX.*", "INBOX.a.b", true}, {"INBOX.%", "INBOX.a.b", false}, {"%", "INBOX", true}, {"*x", "shared.x", true}, {"a%c", "abc", true}, {"a%c", "a.c", false}} {
		if Match(c.p, c.n, '.') != c.ok {
			t.Errorf("Match(%q,%q)", c.p, c.n)
		}
	}
}

func TestPartitionSelection(t *testing.T) {
	old := statfsFunc
	defer func() { statfsFunc = old }()
	space := map[string][2]uint64{"/p/a": {100, 1000}, "/p/b": {600, 1000}, "/p/c": {300, 400}}
	statfsFunc = func(path string, st *unix.Statfs_t) error {
		s := space[path]
		st.Bavail, st.Blocks, st.Frsize = s[0], s[1], 1024
		st.Fsid.Val[0] = int32(len(path) + int(path[3]))
		return nil
	}
	s := &Settings{Partitions: map[string]string{"a": "/p/a", "b": "/p/b", "c": "/p/c"}}
	for mode, want := range map[string]string{"freespace-most": "b", "freespace-percent-most": "c"} {
		s.SelectMode = mode
		if got := s.SelectPartition(); got != want {
			t.Errorf("%s: %s", mode, got)
		}
	}
	s.SelectMode = "freespace-most"
	s.SelectExclude = []string{"b"}
	if got := s.SelectPartition(); got != "c" {
		t.Errorf("exclude: %s", got)
	}
	s.SelectExclude = nil
	s.SelectMode = "random"
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		seen[s.SelectPartition()] = true
	}
	if len(seen) != 3 {
		t.Errorf("random: %v", seen)
	}
	s.SelectMode = "freespace-percent-weighted"
	seen = map[string]bool{}
	for i := 0; i < 300; i++ {
		seen[s.SelectPartition()] = true
	}
	if !seen["b"] || !seen["c"] {
		t.Errorf("weighted: %v", seen)
	}
	// defaultpartition wins over selection, the parent's over both
	s.DefaultPartition = "a"
	if p, _ := s.choosePartition("", ""); p != "a" {
		t.Error(p)
	}
	if p, _ := s.choosePartition("", "c"); p != "c" {
		t.Error(p)
	}
	if _, err := s.choosePartition("nosuch", ""); !errors.Is(err, ErrPartition) {
		t.Error(err)
	}
}

func TestConcurrentCreates(t *testing.T) {
	l, dir := testList(t)
	mustCreate(t, l, "user.alice")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			// each goroutine its own List, as separate sessions would
			l2, err := Open(*l.Settings())
			if err != nil {
				errs <- err
				return
			}
			defer l2.Close()
			for i := 0; i < 10; i++ {
				if _, err := l2.Create(CreateRequest{Name: fmt.Sprintf("user.alice.g%d.%d", g, i), IsAdmin: true, ForceUser: true}); err != nil {
					errs <- err
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	l.Tree("user.alice", SkipRoot, func(*Entry) error { n++; return nil })
	if n != 44 { // 40 folders and their 4 parents
		t.Fatalf("%d mailboxes", n)
	}
	_ = dir
}

func TestUpgradePre36(t *testing.T) {
	l, dir := testList(t)
	s := *l.Settings()
	l.Close()
	// a 3.4-style database: keys are internal names, values dlists without N
	old, err := cyrusdb.Open(s.Path, "twoskip", cyrusdb.Create)
	if err != nil {
		t.Fatal(err)
	}
	old.Store([]byte("user.alice"), []byte("%(A %(alice lrswipkxtecdan) I aaaaaaaaaaaaaaaaaaaaaaaa P default T e M 1600000000 V 1500000000 F 5 C 1)"))
	old.Store([]byte("user.alice.Old"), []byte("%(I bbbbbbbbbbbbbbbbbbbbbbbb P default T ed F 3)"))
	old.Store([]byte("user.alice.New"), []byte("%(A %(alice lrs) I bbbbbbbbbbbbbbbbbbbbbbbb P default T e F 7)"))
	old.Store([]byte("shared"), []byte("(uniqueid cccccccccccccccccccccccc) 0 default anyone\tlrs\t"))
	old.Close()
	if need, err := NeedsUpgrade(s); err != nil || !need {
		t.Fatal(need, err)
	}
	if up, err := Upgrade(s); err != nil || !up {
		t.Fatal(up, err)
	}
	if need, _ := NeedsUpgrade(s); need {
		t.Fatal("still needs upgrade")
	}
	l2, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	a, err := l2.Lookup("user.alice")
	if err != nil || !a.IsLegacy() || a.UIDValidity != 1500000000 || a.ACL != "alice\tlrswipkxtecdan\t" {
		t.Fatalf("%v %+v", err, a)
	}
	i, _ := l2.LookupID("bbbbbbbbbbbbbbbbbbbbbbbb")
	if i.Name != "user.alice.New" || len(i.History) != 1 || i.History[0].Name != "user.alice.Old" {
		t.Fatalf("%+v", i)
	}
	if sh, err := l2.Lookup("shared"); err != nil || sh.UniqueID != "cccccccccccccccccccccccc" || sh.Type != LegacyDirs {
		t.Fatalf("%v %+v", err, sh)
	}
	if up, _ := Upgrade(s); up {
		t.Fatal("upgraded twice")
	}
	_ = dir
}

// A user rename carries the user's quota root: the real Cyrus 3.6.1,
// after SETQUOTA user.alice (STORAGE 100) and RENAME user.alice
// user.carol, answers QUOTAROOT user.carol user.carol with the same limit,
// and GETQUOTA user.alice with "Quota root does not exist".
func TestRenameUserMovesQuotaRoot(t *testing.T) {
	l, q := quotaList(t)
	defer l.Close()
	mustCreate(t, l, "user.alice")
	mustCreate(t, l, "user.alice.Sent")
	if err := l.SetQuota(q, "user.alice", map[quota.Resource]int64{quota.Storage: 100}, false); err != nil {
		t.Fatal(err)
	}
	if err := l.RenameTree(RenameRequest{Old: "user.alice", New: "user.carol", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"user.carol", "user.carol.Sent"} {
		if r, ok, err := q.Root(n); err != nil || !ok || r != "user.carol" {
			t.Errorf("root of %s: %q %v %v", n, r, ok, err)
		}
	}
	if qq, err := q.Read("user.carol"); err != nil || qq.Limit[quota.Storage] != 100 || qq.Used[quota.NumFolders] != 2 {
		t.Errorf("user.carol quota: %v %+v", err, qq)
	}
	if _, err := q.Read("user.alice"); err == nil {
		t.Errorf("quota root user.alice still exists")
	}
}

// A root already over its STORAGE limit still gets a new folder: creation
// checks the folder count only (Cyrus passes "don't care" for the other
// resources), while a root at its folder limit refuses one.
func TestCreateChecksOnlyFolderQuota(t *testing.T) {
	l, q := quotaList(t)
	defer l.Close()
	mustCreate(t, l, "user.dora")
	if err := l.SetQuota(q, "user.dora", map[quota.Resource]int64{quota.Storage: 1, quota.NumFolders: 3}, false); err != nil {
		t.Fatal(err)
	}
	var diff [quota.NumResources]int64
	diff[quota.Storage] = 5 << 10 // 5 KiB used, limit 1 KiB
	if err := q.UpdateUseds("user.dora", diff, "", false); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, l, "user.dora.a")
	mustCreate(t, l, "user.dora.b")
	_, err := l.Create(CreateRequest{Name: "user.dora.c", IsAdmin: true})
	if !errors.Is(err, quota.ErrOverQuota) {
		t.Fatalf("fourth folder under a limit of 3: %v, want over quota", err)
	}
}
