package acl

import (
	"errors"
	"testing"
)

func mustPolicy(t *testing.T, cfg Config) *Policy {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRightsLetters(t *testing.T) {
	p := mustPolicy(t, DefaultConfig())
	cases := []struct{ in, out string }{
		{"lrswipkxtecdan", "lrswipkxtecdan"},
		{"lrswipkxtean", "lrswipkxtecdan"},
		{"c", "kxc"}, // 'c' alone is k+x (deleteright c)
		{"d", "ted"}, // 'd' alone is t+e
		{"ck", "kc"}, // a macro with a member right counts for nothing
		{"dt", "td"},
		{"x", "xc"},
		{"e", "ed"},
		{"0123456789", "0123456789"},
		{"", ""},
		{"a", "a"},
	}
	for _, c := range cases {
		r, err := p.ParseRights(c.in)
		if err != nil {
			t.Errorf("ParseRights(%q): %v", c.in, err)
		}
		if got := p.Format(r); got != c.out {
			t.Errorf("Format(ParseRights(%q)) = %q, want %q", c.in, got, c.out)
		}
	}
	if r, _ := p.ParseRights("lrswipkxtecdan"); r != All {
		t.Errorf("full letters = %#x, want All %#x", r, All)
	}
	if r, err := p.ParseRights("lrQ"); err == nil || r != Lookup|Read {
		t.Errorf("unknown letter: %v %v", r, err)
	}
	// deleteright d: 'd' also grants x, and 'c' is just k.
	cfg := DefaultConfig()
	cfg.DeleteRight = 'd'
	pd := mustPolicy(t, cfg)
	if r, _ := pd.ParseRights("d"); pd.Format(r) != "xted" {
		t.Errorf("deleteright d: 'd' = %q", pd.Format(r))
	}
	if r, _ := pd.ParseRights("c"); pd.Format(r) != "kc" {
		t.Errorf("deleteright d: 'c' = %q", pd.Format(r))
	}
	for _, s := range []string{"lrs", "+lrs", "-lrs", "c", "0123456789", ""} {
		if err := CheckRights(s); err != nil {
			t.Errorf("CheckRights(%q): %v", s, err)
		}
	}
	for s, bad := range map[string]byte{"lrsX": 'X', "+-l": '-', "l r": ' ', "lr+": '+'} {
		var ie *InvalidRightError
		if err := CheckRights(s); !errors.As(err, &ie) || ie.Char != bad {
			t.Errorf("CheckRights(%q) = %v, want bad %q", s, err, bad)
		}
	}
}

func TestParseACL(t *testing.T) {
	a, err := Parse("alice\tlrswipkxtecdan\tanyone\tlrs\t")
	if err != nil || len(a) != 2 || a[1] != (Entry{"anyone", "lrs"}) {
		t.Fatalf("Parse = %v %v", a, err)
	}
	if a.String() != "alice\tlrswipkxtecdan\tanyone\tlrs\t" {
		t.Errorf("String = %q", a.String())
	}
	b, err := Parse("alice\tlrs\tbob\tlr")
	if !errors.Is(err, ErrMalformed) || len(b) != 1 {
		t.Errorf("malformed tail: %v %v", b, err)
	}
	if e, _ := Parse(""); len(e) != 0 {
		t.Errorf("empty ACL: %v", e)
	}
	if got := FromPairs(a.Pairs()).String(); got != a.String() {
		t.Errorf("pairs round trip: %q", got)
	}
}

func TestEvaluate(t *testing.T) {
	p := mustPolicy(t, DefaultConfig())
	a, _ := Parse("anyone\tlrs\tbob\tlrswi\t-bob\tw\tgroup:staff\tk\t-group:interns\tr\talice\tlrswipkxtecdan\t")
	bob := Identity{UserID: "bob"}
	if got := p.Format(p.ACLRights(bob, a)); got != "lrsi" {
		t.Errorf("bob: %q", got)
	}
	staff := Identity{UserID: "carol", Groups: []string{"staff", "interns"}}
	if got := p.Format(p.ACLRights(staff, a)); got != "lskc" {
		t.Errorf("carol: %q", got)
	}
	if got := p.Format(p.ACLRights(Anonymous, a)); got != "lrs" {
		t.Errorf("anonymous: %q", got)
	}
	// Owner implicit rights and admin rights.
	own, _ := Parse("alice\tr\t")
	if got := p.Format(p.Rights(Identity{UserID: "alice"}, own, "alice")); got != "lrkxcan" {
		t.Errorf("owner: %q", got)
	}
	if got := p.Format(p.Rights(Identity{UserID: "cyrus", IsAdmin: true}, own, "alice")); got != "la" {
		t.Errorf("admin: %q", got)
	}
	if _, err := p.MyRights(Identity{UserID: "eve"}, own, "alice"); !errors.Is(err, ErrNonexistent) {
		t.Errorf("stranger MYRIGHTS: %v", err)
	}
	// acl_admin_implies_write.
	cfg := DefaultConfig()
	cfg.AdminImpliesWrite = true
	pw := mustPolicy(t, cfg)
	adm, _ := Parse("bob\tla\t")
	if got := pw.Format(pw.ACLRights(bob, adm)); got != "lswitedan" {
		t.Errorf("admin implies write: %q", got)
	}
	// A negative entry for 'anyone' takes rights from everybody.
	neg, _ := Parse("bob\tlr\t-anyone\tl\t")
	if got := p.Format(p.ACLRights(bob, neg)); got != "r" {
		t.Errorf("-anyone: %q", got)
	}
}

func TestInitialACL(t *testing.T) {
	p := mustPolicy(t, DefaultConfig())
	// A new user INBOX: owner gets everything (spec/formats.md §8.2).
	if got := p.InitialACL("alice", nil, false).String(); got != "alice\tlrswipkxtecdan\t" {
		t.Errorf("INBOX ACL = %q", got)
	}
	// A new top-level shared mailbox: defaultacl.
	if got := p.InitialACL("", nil, false).String(); got != "anyone\tlrs\t" {
		t.Errorf("shared ACL = %q", got)
	}
	// A subfolder copies its parent.
	parent, _ := Parse("alice\tlrswipkxtecdan\tbob\tlr\t")
	if got := p.InitialACL("alice", parent, true).String(); got != parent.String() {
		t.Errorf("child ACL = %q", got)
	}
	cfg := DefaultConfig()
	cfg.DefaultACL = " anyone  lr  Bob lrswipkxtean group:nosuch l  dangling"
	cfg.LookupGroup = nil
	if got := mustPolicy(t, cfg).InitialACL("", nil, false).String(); got != "anyone\tlr\tbob\tlrswipkxtecdan\t" {
		t.Errorf("custom defaultacl = %q", got)
	}
}

func TestCanonify(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LookupGroup = func(g string) (string, bool) { return g, g == "staff" }
	p := mustPolicy(t, cfg)
	for in, want := range map[string]string{"Bob": "bob", "a b": "a b", "bob@example.com": "bob@example.com",
		"group:staff": "group:staff", "anyone": "anyone", "": ""} {
		if got, ok := p.Canonify(in); !ok || got != want {
			t.Errorf("Canonify(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"x%y", "a/b", "a:b", "a*b", "a?b", "a&b", "caf\xc3\xa9", "group:nosuch",
		string(make([]byte, 81))} {
		if got, ok := p.Canonify(in); ok {
			t.Errorf("Canonify(%q) = %q, want refusal", in, got)
		}
	}
	if got, _ := p.CanonifyUser("AnyBody", nil); got != "anyone" {
		t.Errorf("CanonifyUser(AnyBody) = %q", got)
	}
}

func TestSetACLRules(t *testing.T) {
	p := mustPolicy(t, DefaultConfig())
	start, _ := Parse("alice\tlrswipkxtecdan\t")
	admin := Identity{UserID: "cyrus", IsAdmin: true}
	alice := Identity{UserID: "alice"}
	str := func(s string) *string { return &s }
	// Admin DELETEACL of the owner keeps the implicit rights.
	a, err := p.SetACL(start, SetRequest{Actor: admin, Owner: "alice", Identifier: "alice"})
	if err != nil || a.String() != "alice\tlkxcan\t" {
		t.Errorf("admin DELETEACL owner: %q %v", a, err)
	}
	// The owner may not take 'a' from herself.
	if _, err := p.SetACL(start, SetRequest{Actor: alice, Owner: "alice", Identifier: "alice", Rights: str("-a")}); !errors.Is(err, ErrPermissionDenied) {
		t.Errorf("owner -a: %v", err)
	}
	// Bad letters are refused before anything else.
	var ie *InvalidRightError
	if _, err := p.SetACL(start, SetRequest{Actor: Identity{UserID: "eve"}, Owner: "alice", Identifier: "bob", Rights: str("lQ")}); !errors.As(err, &ie) {
		t.Errorf("bad letter: %v", err)
	}
	// Without 'a' and 'l' the mailbox does not exist for the actor.
	if _, err := p.SetACL(start, SetRequest{Actor: Identity{UserID: "eve"}, Owner: "alice", Identifier: "bob", Rights: str("l")}); !errors.Is(err, ErrNonexistent) {
		t.Errorf("stranger: %v", err)
	}
	// anyoneuseracl off: only admins grant to anyone.
	cfg := DefaultConfig()
	cfg.AnyoneUserACL = false
	pa := mustPolicy(t, cfg)
	if _, err := pa.SetACL(start, SetRequest{Actor: alice, Owner: "alice", Identifier: "anyone", Rights: str("lr")}); !errors.Is(err, ErrPermissionDenied) {
		t.Errorf("anyoneuseracl off: %v", err)
	}
	if a, err := pa.SetACL(start, SetRequest{Actor: admin, Owner: "alice", Identifier: "anyone", Rights: str("lr")}); err != nil || a.String() != "alice\tlrswipkxtecdan\tanyone\tlr\t" {
		t.Errorf("anyoneuseracl off, admin: %q %v", a, err)
	}
	// Modify keeps positions and appends new entries.
	m, _ := p.Modify(start, "bob", ModeSet, Lookup, "")
	m, _ = p.Modify(m, "alice", ModeRemove, Write, "")
	if m.String() != "alice\tlrsipkxtecdan\tbob\tl\t" {
		t.Errorf("Modify = %q", m)
	}
	if _, err := p.Modify(m, "", ModeSet, Lookup, ""); !errors.Is(err, ErrInvalidIdentifier) {
		t.Errorf("empty identifier: %v", err)
	}
	if got, err := p.Modify(m, "x%y", ModeSet, 0, ""); err != nil || got.String() != m.String() {
		t.Errorf("removing an invalid identifier: %q %v", got, err)
	}
}

func TestListRights(t *testing.T) {
	p := mustPolicy(t, DefaultConfig())
	all := " l r s w i p k x t e c d a n 0 1 2 3 4 5 6 7 8 9"
	if got := p.ListRights("bob", "alice", false, nil); got != `""`+all {
		t.Errorf("other = %q", got)
	}
	if got := p.ListRights("alice", "alice", false, nil); got != "lkxcan r s w i p t e d 0 1 2 3 4 5 6 7 8 9" {
		t.Errorf("owner = %q", got)
	}
	if got := p.ListRights("bob", "alice", true, nil); got != "p l r s w i k x t e c d a n 0 1 2 3 4 5 6 7 8 9" {
		t.Errorf("INBOX = %q", got)
	}
	if got := p.ListRights("x%y", "alice", false, nil); got != `""` {
		t.Errorf("invalid = %q", got)
	}
}
