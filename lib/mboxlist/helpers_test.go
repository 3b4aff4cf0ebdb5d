package mboxlist

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"gyrus/lib/mailbox"
	"gyrus/lib/mboxname"
	"gyrus/lib/quota"
)

// testList opens a fresh list in a temp dir with one partition "default"
// and Debian's namespace (altnamespace and unixhierarchysep off).
func testList(t testing.TB, mod ...func(*Settings)) (*List, string) {
	t.Helper()
	dir := t.TempDir()
	ns := mboxname.DefaultNamespace()
	ns.AltNamespace, ns.UnixHierarchySep = false, false
	s := Settings{
		Layout:        mboxname.Layout{NS: ns, HashIMAPSpool: true, ConfigDir: filepath.Join(dir, "conf")},
		Partitions:    map[string]string{"default": filepath.Join(dir, "spool")},
		DefaultACL:    "anyone lrs",
		DeleteDelayed: true,
		Mailbox:       mailbox.DefaultOptions(),
		NoSync:        true,
		Now:           func() time.Time { return time.Unix(1700000000, 0) },
	}
	for _, m := range mod {
		m(&s)
	}
	os.MkdirAll(s.Layout.ConfigDir, 0o755)
	l, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, dir
}

func withQuota(t testing.TB, dir string) *quota.DB {
	q, err := quota.Open(quota.Options{Path: filepath.Join(dir, "conf", "quotas.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func mustCreate(t testing.TB, l *List, name string) *Entry {
	t.Helper()
	e, err := l.Create(CreateRequest{Name: name, IsAdmin: true})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return e
}

// quotaList is testList whose List keeps quotas in a quotas.db.
func quotaList(t testing.TB) (*List, *quota.DB) {
	l, dir := testList(t)
	q := withQuota(t, dir)
	l.Close()
	s := *l.Settings()
	s.Quota = q
	l, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	return l, q
}
