package acl

import (
	"strings"
	"testing"
)

// FuzzACL parses arbitrary ACL strings and SETACL arguments: nothing may
// panic, stored ACLs must re-print as they parsed, and every rights
// string Gyrus writes must parse back to the same mask.
func FuzzACL(f *testing.F) {
	f.Add("alice\tlrswipkxtecdan\tanyone\tlrs\t", "bob", "+lrs")
	f.Add("-bob\tw\tgroup:mail\tl\t", "-group:mail", "-c")
	f.Add("x\ty", "", "")
	p, err := New(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	p.cfg.LookupGroup = func(g string) (string, bool) { return g, g == "mail" }
	f.Fuzz(func(t *testing.T, stored, ident, rights string) {
		a, perr := Parse(stored)
		if perr == nil && a.String() != stored {
			t.Fatalf("Parse(%q) re-prints as %q", stored, a.String())
		}
		for _, id := range []Identity{{UserID: "alice"}, {UserID: "bob", Groups: []string{"mail"}}, {UserID: "cyrus", IsAdmin: true}} {
			r := p.Rights(id, a, "alice")
			back, err := p.ParseRights(p.Format(r))
			if err != nil || back != r {
				t.Fatalf("Format(%#x) = %q parses to %#x %v", r, p.Format(r), back, err)
			}
		}
		out, err := p.SetACL(a, SetRequest{Actor: Identity{UserID: "cyrus", IsAdmin: true}, Owner: "alice", Identifier: ident, Rights: &rights})
		if err != nil {
			return
		}
		if perr != nil {
			return
		}
		again, err := Parse(out.String())
		if err != nil || again.String() != out.String() {
			t.Fatalf("SetACL(%q, %q, %q) produced unparsable %q", stored, ident, rights, out.String())
		}
		for _, e := range out {
			if strings.ContainsAny(e.ID, "\t") && !strings.Contains(stored, e.ID) {
				t.Fatalf("SetACL stored identifier %q with a TAB", e.ID)
			}
		}
	})
}
