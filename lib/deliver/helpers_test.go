package deliver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gyrus/lib/duplicate"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/quota"
)

type env struct {
	t    testing.TB
	dir  string
	list *mboxlist.List
	q    *quota.DB
	dup  *duplicate.DB
	d    *Deliverer
}

// newEnv opens a mailbox list, quota and deliver.db in a temp dir (with
// fsync on, as in production unless nosync) and a Deliverer on them.
func newEnv(t testing.TB, mod func(*Options), nosync bool) *env {
	t.Helper()
	dir := t.TempDir()
	ns := mboxname.DefaultNamespace()
	ns.AltNamespace, ns.UnixHierarchySep = false, false
	conf := filepath.Join(dir, "conf")
	os.MkdirAll(conf, 0o755)
	q, err := quota.Open(quota.Options{Path: filepath.Join(conf, "quotas.db")})
	if err != nil {
		t.Fatal(err)
	}
	mo := mailbox.DefaultOptions()
	mo.Quota = q
	s := mboxlist.Settings{
		Layout:        mboxname.Layout{NS: ns, HashIMAPSpool: true, ConfigDir: conf},
		Partitions:    map[string]string{"default": filepath.Join(dir, "spool")},
		DefaultACL:    "anyone lrs",
		DeleteDelayed: true,
		Mailbox:       mo,
		Quota:         q,
		NoSync:        nosync,
	}
	l, err := mboxlist.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	dup, err := duplicate.Open(filepath.Join(conf, "deliver.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{List: l, Quota: q, Dup: dup, Mbox: mo, DowncaseRcpt: true, TempDir: filepath.Join(dir, "tmp")}
	if mod != nil {
		mod(&o)
	}
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, list: l, q: q, dup: dup, d: d}
	t.Cleanup(func() {
		d.Close()
		dup.Close()
		l.Close()
		q.Close()
	})
	return e
}

func (e *env) create(names ...string) {
	e.t.Helper()
	for _, n := range names {
		if _, err := e.list.Create(mboxlist.CreateRequest{Name: n, IsAdmin: true}); err != nil {
			e.t.Fatalf("create %s: %v", n, err)
		}
	}
}

func (e *env) setACL(name, acl string) {
	e.t.Helper()
	if err := e.list.SetACL(name, acl); err != nil {
		e.t.Fatal(err)
	}
}

// message stages a message the way lmtpd would hand it over.
func (e *env) message(raw, id, date string) *Message {
	e.t.Helper()
	st, err := mailbox.Stage(mboxname.StagePath(filepath.Join(e.dir, "spool")), strings.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	return &Message{Staged: st, Size: st.Size, ID: id, Date: date, InternalDate: time.Unix(1700000000, 0)}
}

// deliver verifies addresses and delivers m to them.
func (e *env) deliver(m *Message, addrs ...string) []error {
	e.t.Helper()
	var rcpts []*Recipient
	for _, a := range addrs {
		r, err := e.d.Verify(a, false, 0, m.Auth)
		if err != nil {
			e.t.Fatalf("verify %s: %v", a, err)
		}
		rcpts = append(rcpts, r)
	}
	return e.d.Deliver(context.Background(), m, rcpts)
}

// count is the number of messages in a mailbox (and its Check passes).
func (e *env) count(name string) int {
	e.t.Helper()
	ent, err := e.list.Lookup(name)
	if err != nil {
		e.t.Fatal(err)
	}
	loc, err := e.list.Settings().Locate(ent)
	if err != nil {
		e.t.Fatal(err)
	}
	mb, err := mailbox.Open(loc, e.list.Settings().Mailbox, mailbox.ReadOnly)
	if err != nil {
		e.t.Fatal(err)
	}
	defer mb.Close()
	probs, err := mb.Check(mailbox.CheckOptions{GUIDs: true})
	if err != nil || len(probs) > 0 {
		e.t.Fatalf("check %s: %v %v", name, err, probs)
	}
	return int(mb.Header().Exists)
}

func testMsg(id string) string {
	return "From: a@example.com\r\nSubject: " + id + "\r\nMessage-ID: <" + id + "@x>\r\nDate: Mon, 02 Jan 2023 10:00:00 +0000\r\n\r\nbody " + id + "\r\n"
}
