package authz

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"gyrus/lib/acl"
	"gyrus/lib/config"
	"gyrus/lib/mboxname"
	"gyrus/lib/sasl"
)

func newPolicy(t *testing.T, conf string) *Policy {
	t.Helper()
	dir := t.TempDir()
	c, err := config.Parse("imapd.conf", []byte("configdirectory: "+dir+"\npartition-default: "+filepath.Join(dir, "spool")+"\n"+conf), "imapd")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := mboxname.NamespaceFromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	ap, err := acl.New(acl.ConfigFromConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	p := New(c, "imap", ns, ap, nil)
	t.Cleanup(func() { p.Close() })
	return p
}

func TestCanon(t *testing.T) {
	p := newPolicy(t, "virtdomains: userid\ndefaultdomain: example.com\n")
	for in, want := range map[string]string{
		"alice":             "alice",
		"alice@example.com": "alice",
		"alice%example.org": "alice@example.org",
		"Anonymous":         "anonymous",
		"anybody@x":         "anyone",
		"bob@example.org":   "bob@example.org",
	} {
		if got, err := p.Canon(in); err != nil || got != want {
			t.Errorf("Canon(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := p.Canon(""); !errors.Is(err, ErrInvalidUser) {
		t.Errorf("Canon(\"\"): %v", err)
	}
}

func TestAuthorize(t *testing.T) {
	p := newPolicy(t, "admins: root\nproxyservers: proxy\nloginrealms: example.org\n")
	ctx := context.Background()
	for _, c := range []struct {
		authc, authz string
		code         sasl.Code // 0: allowed
	}{
		{"alice", "alice", 0},
		{"root", "alice", 0},               // admin acts for anyone
		{"proxy", "alice", 0},              // so does a proxy server
		{"bob", "alice", sasl.CodeBadAuth}, // nobody else
		{"carol@example.org", "carol@example.org", 0},
		{"carol@example.net", "carol@example.net", sasl.CodeBadAuth}, // cross-realm
	} {
		err := p.Authorize(ctx, c.authc, c.authz)
		var se *sasl.Error
		switch {
		case c.code == 0 && err != nil:
			t.Errorf("%s as %s: %v", c.authc, c.authz, err)
		case c.code != 0 && (!errors.As(err, &se) || se.Code != c.code):
			t.Errorf("%s as %s: %v, want code %v", c.authc, c.authz, err, c.code)
		}
	}
	if !p.IsAdmin("root") || p.IsAdmin("alice") || !p.IsProxyServer("proxy") {
		t.Error("admins or proxyservers misread")
	}
	if p.DenyDB() != nil {
		t.Error("a deny list without user_deny.db")
	}
}
