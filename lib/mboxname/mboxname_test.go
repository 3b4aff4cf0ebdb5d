package mboxname

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// debianNS is the namespace cyrus-ref and Debian run with.
func debianNS() Namespace {
	ns := DefaultNamespace()
	ns.AltNamespace = false
	ns.UnixHierarchySep = false
	return ns
}

func TestDirHash(t *testing.T) {
	// Cyrus cunit/mboxname.testc test_dir_hash_c.
	cases := []struct {
		name        string
		plain, full byte
	}{
		{"fred", 'f', 'E'},
		{"fred.Drafts", 'f', 'E'},
		{"bloggs.com!user.jane.Sent", 'b', 'L'},
		{"Gossip", 'g', 'K'},
		{"internal!Tattle", 'i', 'I'},
		{"thisisareallylongname", 't', 'J'},
		{"thisisareallylongname.with.a.subdir", 't', 'J'},
		{"*U*bob", 'q', DirHash("*U*bob", true)},
		{"0f8e2d4c", 'q', DirHash("0f8e2d4c", true)},
		{"", 'q', 'A'},
	}
	for _, c := range cases {
		if got := DirHash(c.name, false); got != c.plain {
			t.Errorf("DirHash(%q, false) = %c, want %c", c.name, got, c.plain)
		}
		if got := DirHash(c.name, true); got != c.full {
			t.Errorf("DirHash(%q, true) = %c, want %c", c.name, got, c.full)
		}
	}
}

func TestParseInternal(t *testing.T) {
	ns := debianNS()
	ns.VirtDomains = VirtDomainsUserID
	cases := []struct {
		in   string
		want Name
		user string
	}{
		{"user.fred.Drafts", Name{LocalPart: "fred", Boxes: []string{"Drafts"}}, "fred"},
		{"bloggs.com!user.jane.Sent", Name{Domain: "bloggs.com", LocalPart: "jane", Boxes: []string{"Sent"}}, "jane@bloggs.com"},
		{"shared.Gossip", Name{Boxes: []string{"shared", "Gossip"}}, ""},
		{"foonly.com!shared.Tattle", Name{Domain: "foonly.com", Boxes: []string{"shared", "Tattle"}}, ""},
		{"user.fred.a.deep.folder", Name{LocalPart: "fred", Boxes: []string{"a", "deep", "folder"}}, "fred"},
		{"user.bob.Sent^Items", Name{LocalPart: "bob", Boxes: []string{"Sent.Items"}}, "bob"},
		{"user.john^doe", Name{LocalPart: "john.doe"}, "john.doe"},
		{"internal!user.x", Name{LocalPart: "x"}, "x"},
		{"DELETED.user.bob.Old.6553F100", Name{LocalPart: "bob", Boxes: []string{"Old"}, Deleted: 0x6553F100}, "bob"},
		{"DELETED.user.bob.zz", Name{LocalPart: "bob"}, "bob"}, // strtoul("zz") is 0
		{"DELETED.user.bob.a12", Name{LocalPart: "bob", Deleted: 0xA12}, "bob"},
		{"DELETED.x", Name{Boxes: []string{"DELETED", "x"}}, ""},
		{"user", Name{Boxes: []string{"user"}}, ""},
		{"user..x", Name{LocalPart: "x"}, "x"},
		{"", Name{}, ""},
	}
	for _, c := range cases {
		got := ns.ParseInternal(c.in)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseInternal(%q) = %+v, want %+v", c.in, got, c.want)
		}
		if u := got.UserID(); u != c.user {
			t.Errorf("UserID(%q) = %q, want %q", c.in, u, c.user)
		}
	}
	if got := ns.UserInbox("betty@boop.com", "sub.deep.stuff"); got != "boop.com!user.betty.sub.deep.stuff" {
		t.Errorf("UserInbox = %q", got)
	}
	if got := ns.UserInbox("sam", ""); got != "user.sam" {
		t.Errorf("UserInbox = %q", got)
	}
}

func TestDBNames(t *testing.T) {
	// spec/formats.md §2.1, verified against Cyrus.
	ns := debianNS()
	ns.VirtDomains = VirtDomainsUserID
	cases := []struct{ in, db string }{
		{"user.alice", "user\x1falice"},
		{"user.bob.Sent^Items", "user\x1fbob\x1fSent.Items"},
		{"example.org!user.carol", "example.org\x1duser\x1fcarol"},
		{"DELETED.user.bob.Old.6553F100", "DELETED\x1fuser\x1fbob\x1fOld\x1f6553F100"},
		{"shared.folder", "shared\x1ffolder"},
	}
	for _, c := range cases {
		if got := ns.InternalToDB(c.in); got != c.db {
			t.Errorf("InternalToDB(%q) = %q, want %q", c.in, got, c.db)
		}
		if got := ns.DBToInternal(c.db); got != c.in {
			t.Errorf("DBToInternal(%q) = %q, want %q", c.db, got, c.in)
		}
	}
}

func TestPaths(t *testing.T) {
	// formats-test-vectors.md §2: second instance, hashimapspool on.
	l := Layout{NS: debianNS(), HashIMAPSpool: true, ConfigDir: "/c"}
	l.NS.VirtDomains = VirtDomainsUserID
	spool := []struct{ in, want string }{
		{"user.bob", "/s/b/user/bob"},
		{"user.bob.Sent^Items", "/s/b/user/bob/Sent^Items"},
		{"example.org!user.carol", "/s/domain/e/example.org/c/user/carol"},
		{"DELETED.user.bob.Old.6553F100", "/s/u/DELETED/user/bob/Old/6553F100"},
		{"shared.folder", "/s/f/shared/folder"},
	}
	for _, c := range spool {
		if got := l.MailboxDir("/s", c.in, "", true); got != c.want {
			t.Errorf("MailboxDir(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := l.MailboxDir("/s", "shared.folder", "bbbbbbbb-0000-4000-8000-000000000005", false); got != "/s/uuid/b/b/bbbbbbbb-0000-4000-8000-000000000005" {
		t.Errorf("uuid dir = %q", got)
	}
	locks := []struct{ name, want string }{
		{"bbbbbbbb-0000-4000-8000-000000000005", "/c/lock/b/bbbbbbbb-0000-4000-8000-000000000005.lock"},
		{"user.bob", "/c/lock/b/user/bob.lock"},
		{"user.bob.Sent^Items", "/c/lock/b/user/bob/Sent^Items.lock"},
		{UserLockName(""), "/c/lock/q/*U*.lock"},
		{UserLockName("bob"), "/c/lock/q/*U*bob.lock"},
		{UserLockName("carol@example.org"), "/c/lock/q/*U*carol@example^org.lock"},
		{"DELETED.user.bob.Old.6553F100", "/c/lock/u/DELETED/user/bob/Old/6553F100.lock"},
	}
	for _, c := range locks {
		if got := l.LockPath(c.name); got != c.want {
			t.Errorf("LockPath(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	// First instance: no hashimapspool.
	l1 := Layout{NS: debianNS(), ConfigDir: "/c"}
	if got := l1.LockPath(UserLockName("alice")); got != "/c/lock/*U*alice.lock" {
		t.Errorf("LockPath = %q", got)
	}
	if got := l1.LockPath(MailboxLockName("user.alice", "0f8e2d4c-1b2a-4c3d-9e8f-112233445566", false)); got != "/c/lock/0f8e2d4c-1b2a-4c3d-9e8f-112233445566.lock" {
		t.Errorf("LockPath = %q", got)
	}
	l1.LockDir = "/run/cyrus/lock"
	if got := l1.LockPath("user.alice"); got != "/run/cyrus/lock/user/alice.lock" {
		t.Errorf("LockPath with mboxname_lockpath = %q", got)
	}
	// Cyrus cunit test_mboxname_hash.
	lc := Layout{NS: DefaultNamespace()}
	lc.NS.VirtDomains = VirtDomainsOn
	for _, c := range []struct {
		hash, full bool
		in, want   string
	}{
		{false, false, "fred", "/tmp/fred"},
		{false, false, "bloggs.com!user.jane.Sent", "/tmp/domain/bloggs.com/user/jane/Sent"},
		{true, false, "fred", "/tmp/f/fred"},
		{true, false, "bloggs.com!user.jane.Sent", "/tmp/domain/b/bloggs.com/j/user/jane/Sent"},
		{true, true, "fred", "/tmp/E/fred"},
		{true, true, "bloggs.com!user.jane.Sent", "/tmp/domain/L/bloggs.com/I/user/jane/Sent"},
	} {
		lc.HashIMAPSpool, lc.FullDirHash = c.hash, c.full
		if got := lc.HashPath("/tmp", c.in); got != c.want {
			t.Errorf("HashPath(%v,%v,%q) = %q, want %q", c.hash, c.full, c.in, got, c.want)
		}
	}
	// Per-user files (spec/formats.md §3.3).
	ns := l.NS
	if got := l.UserFileLegacy(ns.ParseInternal("user.bob"), "seen"); got != "/c/user/b/bob.seen" {
		t.Errorf("UserFileLegacy = %q", got)
	}
	if got := l.UserFileLegacy(ns.ParseInternal("example.org!user.carol"), "sub"); got != "/c/domain/e/example.org/user/c/carol.sub" {
		t.Errorf("UserFileLegacy = %q", got)
	}
	if got := l.UserFileLegacy(ns.ParseInternal("user.john^doe"), "seen"); got != "/c/user/j/john.doe.seen" {
		t.Errorf("UserFileLegacy = %q", got)
	}
	if got := l.UserFileLegacy(ns.ParseInternal("shared.x"), "seen"); got != "/c/shared.seen" {
		t.Errorf("UserFileLegacy = %q", got)
	}
	if got := l.UserFileUUID("0f8e2d4c-1b2a-4c3d-9e8f-112233445566", "seen"); got != "/c/user/uuid/0/f/0f8e2d4c-1b2a-4c3d-9e8f-112233445566/seen.db" {
		t.Errorf("UserFileUUID = %q", got)
	}
	if got := MessagePath("/s/x", 42); got != "/s/x/42." {
		t.Errorf("MessagePath = %q", got)
	}
}

func TestExternalStandard(t *testing.T) {
	ns := debianNS()
	alice := Viewer{UserID: "alice"}
	admin := Viewer{UserID: "cyrus", IsAdmin: true}
	cases := []struct {
		v        Viewer
		ext, int string
	}{
		{alice, "INBOX", "user.alice"},
		{alice, "inbox.Sent", "user.alice.Sent"},
		{alice, "INBOX.a^b", "user.alice.a^b"},
		{alice, "INBOX..x", "user.alice.x"},
		{alice, "user.bob.x", "user.bob.x"},
		{alice, "shared.x", "shared.x"},
		{alice, "DELETED.user.bob.x.5F000000", "DELETED.user.bob.x.5F000000"}, // a shared name for a user
		{admin, "DELETED.user.bob.x.5F000000", "DELETED.user.bob.x.5F000000"},
		{admin, "DELETED.user.bob.zz", "user.bob"},
		{admin, "user.alice", "user.alice"},
	}
	for _, c := range cases {
		got, err := ns.ToInternal(c.ext, c.v)
		if err != nil || got != c.int {
			t.Errorf("ToInternal(%q, %v) = %q %v, want %q", c.ext, c.v, got, err, c.int)
		}
	}
	if _, err := ns.ToInternal("INBOX.a/b", alice); !errors.Is(err, ErrBadName) {
		t.Errorf("'/' with '.' separator: %v", err)
	}
	if _, err := ns.ToInternal(`\Sent`, alice); !errors.Is(err, ErrSpecialUse) {
		t.Errorf("special use: %v", err)
	}
	outs := []struct {
		v        Viewer
		int, ext string
	}{
		{alice, "user.alice", "INBOX"},
		{alice, "user.alice.Sent^Items", "INBOX.Sent^Items"},
		{alice, "user.bob.x", "user.bob.x"},
		{admin, "user.alice", "user.alice"},
		{admin, "DELETED.user.bob.x.5F000000", "DELETED.user.bob.x.5F000000"},
		{alice, "shared.x", "shared.x"},
	}
	for _, c := range outs {
		got, ok := ns.ToExternal(c.int, c.v)
		if !ok || got != c.ext {
			t.Errorf("ToExternal(%q, %v) = %q %v, want %q", c.int, c.v, got, ok, c.ext)
		}
	}
	if _, ok := ns.ToExternal("INBOX.x", alice); ok {
		t.Errorf("shared INBOX.x has an external name")
	}
}

func TestExternalAltSlash(t *testing.T) {
	ns := DefaultNamespace() // altnamespace and '/' are Cyrus's defaults
	alice := Viewer{UserID: "alice"}
	cases := []struct{ ext, int string }{
		{"INBOX", "user.alice"},
		{"Sent.Items", "user.alice.Sent^Items"},
		{"a/b", "user.alice.a.b"},
		{"INBOX/x", "user.alice.INBOX.x"},
		{"inbox/x", "user.alice.INBOX.x"},
		{"Other Users/bob/x", "user.bob.x"},
		{"Shared Folders/shared/x", "shared.x"},
		{"Alt Folders/INBOX", "user.alice.INBOX"},
		{"Alt Folders", "user.alice"},
	}
	for _, c := range cases {
		got, err := ns.ToInternal(c.ext, alice)
		if err != nil || got != c.int {
			t.Errorf("ToInternal(%q) = %q %v, want %q", c.ext, got, err, c.int)
		}
	}
	if _, err := ns.ToInternal("a^b", alice); !errors.Is(err, ErrBadName) {
		t.Errorf("'^' with '/': %v", err)
	}
	outs := []struct{ int, ext string }{
		{"user.alice.INBOX", "Alt Folders/INBOX"},
		{"user.alice.inbox", "Alt Folders/inbox"},
		{"user.alice.INBOX.x", "INBOX/x"},
		{"user.alice.Other Users", "Alt Folders/Other Users"},
		{"user.bob.x", "Other Users/bob/x"},
		{"user", "Other Users"},
		{"shared.x", "Shared Folders/shared/x"},
		{"user.alice.Sent^Items", "Sent.Items"},
	}
	for _, c := range outs {
		got, ok := ns.ToExternal(c.int, alice)
		if !ok || got != c.ext {
			t.Errorf("ToExternal(%q) = %q %v, want %q", c.int, got, ok, c.ext)
		}
	}
	if _, ok := ns.ToExternal("DELETED.user.alice.x.5F000000", alice); ok {
		t.Errorf("deleted mailbox visible in altnamespace")
	}
	// Admins never get the alternate namespace.
	admin := Viewer{UserID: "cyrus", IsAdmin: true}
	if got, _ := ns.ToExternal("user.alice.x", admin); got != "user/alice/x" {
		t.Errorf("admin sees %q", got)
	}
	p, o, s := ns.Prefixes(alice)
	if p != "" || o != "Other Users/" || s != "Shared Folders/" {
		t.Errorf("Prefixes = %q %q %q", p, o, s)
	}
	if err := ns.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	bad := ns
	bad.SharedPrefix = "Other"
	if err := bad.Validate(); !errors.Is(err, ErrBadPrefix) {
		t.Errorf("shared prefix inside user prefix: %v", err)
	}
}

func TestVirtDomains(t *testing.T) {
	ns := debianNS()
	ns.VirtDomains = VirtDomainsUserID
	alice := Viewer{UserID: "alice@example.com"}
	admin := Viewer{UserID: "cyrus", IsAdmin: true}
	cases := []struct {
		v        Viewer
		ext, int string
	}{
		{alice, "INBOX.x", "example.com!user.alice.x"},
		{alice, "shared.x", "example.com!shared.x"},
		{alice, "user.bob.x", "example.com!user.bob.x"},
		{admin, "user.alice.x@example.com", "example.com!user.alice.x"},
		{admin, "user.alice@example.com.x", "example.com.x!user.alice"},
		{admin, "user.dave", "user.dave"},
		{admin, "shared@internal", "shared"},
	}
	for _, c := range cases {
		got, err := ns.ToInternal(c.ext, c.v)
		if err != nil || got != c.int {
			t.Errorf("ToInternal(%q, %v) = %q %v, want %q", c.ext, c.v, got, err, c.int)
		}
	}
	if got, _ := ns.ToExternal("example.com!user.alice.x", admin); got != "user.alice.x@example.com" {
		t.Errorf("admin external = %q", got)
	}
	if _, ok := ns.ToExternal("example.org!shared.x", alice); ok {
		t.Errorf("other domain's shared folder visible")
	}
	if err := ns.PolicyCheck("example.com!user.alice.x!y"); err != nil {
		t.Errorf("'!' after a domain: %v", err)
	}
	off := debianNS()
	if err := off.PolicyCheck("example.com!user.alice"); !errors.Is(err, ErrBadName) {
		t.Errorf("domain without virtdomains: %v", err)
	}
}

func TestPolicyCheck(t *testing.T) {
	ns := debianNS()
	good := []string{
		"user.alice", "user.alice.a b", "user.alice.&AOk-", "user.alice.&-", "user.alice.&-&AOk-",
		"user.alice.&AOk-&-", "user.alice.&AOk-x&AOk-", "user.alice.&AOkA6Q-", "user.alice.&AOkA6QDp-",
		"user.alice.&2D0-", "user.alice.*", "user.alice.~x", "user.alice.x~", "user.alice.$x",
		"user.alice.[x]", "user.alice.x^y", "DELETED..anything goes..5F000000",
		"user.alice." + strings.Repeat("y", 479),
	}
	bad := []string{
		"", "$x", "~x", ".x", "x.", "a..b", "user", "user.anyone", "user.anonymous", "user.%x",
		"user.alice.%", "user.alice.x/y", "user.alice.x\\y", "user.alice.x\"y", "user.alice.x\ty",
		"user.alice.caf\xc3\xa9", "user.alice.&AOk-&AOk-", "user.alice.&AGE-", "user.alice.&AOk",
		"user.alice.&AO-", "user.alice.&AOl-", "user.alice.&", "user.alice.&&-", "user.alice.&AOkA-",
		"user.alice.x!y", "user.alice.x{y", "user.alice.x|y", "user.alice.x;y",
		"user.alice." + strings.Repeat("z", 480),
	}
	for _, n := range good {
		if err := ns.PolicyCheck(n); err != nil {
			t.Errorf("PolicyCheck(%q): %v", n, err)
		}
	}
	for _, n := range bad {
		if err := ns.PolicyCheck(n); !errors.Is(err, ErrBadName) {
			t.Errorf("PolicyCheck(%q) = %v, want ErrBadName", n, err)
		}
	}
	alice := Viewer{UserID: "alice"}
	if _, err := ns.CreateName("INBOX.INBOX.inbox", alice); !errors.Is(err, ErrBadName) {
		t.Errorf("CreateName INBOX.INBOX.inbox: %v", err)
	}
	if n, err := ns.CreateName("INBOX.x.", alice); err != nil || ns.Internal(n) != "user.alice.x" {
		t.Errorf("CreateName trailing separator: %v %v", n, err)
	}
	if n, err := ns.RenameName("INBOX."+strings.Repeat("r", 480), alice); err != nil || len(ns.Internal(n)) != MaxNameLen-1 {
		t.Errorf("RenameName truncation: %d %v", len(ns.Internal(n)), err)
	}
}

func TestHelpers(t *testing.T) {
	ns := debianNS()
	ns.VirtDomains = VirtDomainsUserID
	for _, c := range []struct {
		in, parent string
		ok         bool
	}{
		{"user.alice.a.b", "user.alice.a", true},
		{"user.alice", "user", true},
		{"user", "", false},
		{"shared", "", true},
		{"example.com!user", "", false},
		{"example.com!shared", "example.com!", true},
		{"example.com!", "", true},
		{"", "", false},
	} {
		p, ok := ns.Parent(c.in)
		if p != c.parent || ok != c.ok {
			t.Errorf("Parent(%q) = %q %v, want %q %v", c.in, p, ok, c.parent, c.ok)
		}
	}
	if got := ns.ToDeleted("example.com!user.bob.Old", 0x6553F100); got != "example.com!DELETED.user.bob.Old.6553F100" {
		t.Errorf("ToDeleted = %q", got)
	}
	if !IsPrefix("user.bob.x", "user.bob") || IsPrefix("user.bobby", "user.bob") || !IsPrefix("user.bob", "user.bob") {
		t.Errorf("IsPrefix")
	}
	for s, want := range map[string]uint64{"5F000000": 0x5F000000, "zz": 0, "a12": 0xa12, "0x1f": 0x1f, " 10": 0x10,
		"-1": ^uint64(0), "fffffffffffffffff": ^uint64(0), "0xg": 0} {
		if got := strtoul16(s); got != want {
			t.Errorf("strtoul16(%q) = %x, want %x", s, got, want)
		}
	}
	for _, c := range []struct {
		s  string
		vd VirtDomains
		ok bool
	}{{"off", VirtDomainsOff, true}, {"userid", VirtDomainsUserID, true}, {"on", VirtDomainsOn, true},
		{"yes", VirtDomainsOn, true}, {"0", VirtDomainsOff, true}, {"maybe", 0, false}} {
		vd, err := ParseVirtDomains(c.s)
		if (err == nil) != c.ok || vd != c.vd {
			t.Errorf("ParseVirtDomains(%q) = %v %v", c.s, vd, err)
		}
	}
}

func TestUTF7(t *testing.T) {
	cases := []struct{ utf8, utf7 string }{
		{"café", "caf&AOk-"},
		{"&", "&-"},
		{"a&b", "a&-b"},
		{"日本語", "&ZeVnLIqe-"},
		{"😀", "&2D3eAA-"},
		{"ﬁ x é", "&+wE- x &AOk-"},
		{"plain", "plain"},
		{"éé", "&AOkA6Q-"},
	}
	for _, c := range cases {
		got, err := EncodeUTF7(c.utf8)
		if err != nil || got != c.utf7 {
			t.Errorf("EncodeUTF7(%q) = %q %v, want %q", c.utf8, got, err, c.utf7)
		}
		back, err := DecodeUTF7(c.utf7)
		if err != nil || back != c.utf8 {
			t.Errorf("DecodeUTF7(%q) = %q %v, want %q", c.utf7, back, err, c.utf8)
		}
	}
	for _, bad := range []string{"&AOk", "&AO-", "&AOl-", "&AGE-", "&2D0-", "&AOk-&AOk-", "&*-", "caf\xc3\xa9", "a\tb"} {
		if got, err := DecodeUTF7(bad); err == nil {
			t.Errorf("DecodeUTF7(%q) = %q, want error", bad, got)
		}
	}
	if _, err := EncodeUTF7("\xff"); err == nil {
		t.Errorf("EncodeUTF7 of invalid UTF-8 succeeded")
	}
}

func TestRecipient(t *testing.T) {
	ns := debianNS()
	cases := []struct {
		in, local string
		want      Name
	}{
		{"alice@example.com", "alice", Name{LocalPart: "alice"}},
		{"alice+Sent.Items@x", "alice", Name{LocalPart: "alice", Boxes: []string{"Sent", "Items"}}},
		{"alice+café@x", "alice", Name{LocalPart: "alice", Boxes: []string{"caf&AOk-"}}},
		{"alice+@x", "alice", Name{LocalPart: "alice"}},
		{"+shared.folder@x", "", Name{Boxes: []string{"shared", "folder"}}},
		{"bob", "bob", Name{LocalPart: "bob"}},
	}
	for _, c := range cases {
		n, local := ns.FromRecipient(c.in)
		if !reflect.DeepEqual(n, c.want) || local != c.local {
			t.Errorf("FromRecipient(%q) = %+v %q, want %+v %q", c.in, n, local, c.want, c.local)
		}
	}
	vd := ns
	vd.VirtDomains = VirtDomainsUserID
	if n, _ := vd.FromRecipient("alice+x@example.com"); vd.Internal(n) != "example.com!user.alice.x" {
		t.Errorf("virtdomains recipient = %q", vd.Internal(n))
	}
	if n, _ := vd.FromRecipient("alice@internal"); n.Domain != "" {
		t.Errorf("default domain kept: %+v", n)
	}
	if r, ok := ns.Recipient(ns.ParseInternal("user.alice.Sent.Items")); !ok || r != "alice+Sent.Items@internal" {
		t.Errorf("Recipient = %q %v", r, ok)
	}
	ns.PostUser = "bb"
	if r, _ := ns.Recipient(ns.ParseInternal("shared.x")); r != "bb+shared.x@internal" {
		t.Errorf("shared Recipient = %q", r)
	}
	if _, ok := ns.Recipient(ns.ParseInternal("DELETED.user.a.5F000000")); ok {
		t.Errorf("deleted mailbox has a recipient")
	}
}

func BenchmarkToInternal(b *testing.B) {
	ns := debianNS()
	v := Viewer{UserID: "alice"}
	for b.Loop() {
		if _, err := ns.ToInternal("INBOX.Sent Items.2024", v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToExternal(b *testing.B) {
	ns := DefaultNamespace()
	v := Viewer{UserID: "alice"}
	for b.Loop() {
		if _, ok := ns.ToExternal("user.bob.Sent^Items.2024", v); !ok {
			b.Fatal("no name")
		}
	}
}

func BenchmarkPolicyCheck(b *testing.B) {
	ns := debianNS()
	for b.Loop() {
		if err := ns.PolicyCheck("user.alice.caf&AOk-.Sent Items"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestUTF8Names(t *testing.T) {
	ns := DefaultNamespace()
	alice := Viewer{UserID: "alice"}
	n, err := ns.ParseExternalUTF8("Entwürfe/日本", alice)
	if err != nil || ns.Internal(n) != "user.alice.Entw&APw-rfe.&ZeVnLA-" {
		t.Errorf("ParseExternalUTF8 = %q %v", ns.Internal(n), err)
	}
	if got, ok := ns.ExternalUTF8(n, alice); !ok || got != "Entwürfe/日本" {
		t.Errorf("ExternalUTF8 = %q %v", got, ok)
	}
	if _, err := ns.ParseExternalUTF8("bad\xff", alice); !errors.Is(err, ErrBadName) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	// A name Cyrus accepted but that is not valid UTF-7 is shown raw.
	if got, _ := ns.ExternalUTF8(ns.ParseInternal("user.alice.&2D0-"), alice); got != "&2D0-" {
		t.Errorf("lone surrogate shown as %q", got)
	}
}
