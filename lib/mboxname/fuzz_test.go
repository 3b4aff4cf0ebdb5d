package mboxname

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func fuzzNamespaces() []Namespace {
	var out []Namespace
	for _, alt := range []bool{false, true} {
		for _, uhs := range []bool{false, true} {
			for _, vd := range []VirtDomains{VirtDomainsOff, VirtDomainsUserID} {
				ns := DefaultNamespace()
				ns.AltNamespace, ns.UnixHierarchySep, ns.VirtDomains = alt, uhs, vd
				out = append(out, ns)
			}
		}
	}
	return out
}

// FuzzNames feeds arbitrary external names through every namespace and
// viewer: nothing may panic, internal names must be stable under
// re-parsing, and a valid name shown to a viewer must read back as the
// same mailbox.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"INBOX", "INBOX.a^b", "user/bob/x", "Other Users/bob", "Alt Folders/INBOX",
		"DELETED.user.x.y.5F000000", "shared.x@example.com", "&AOk-", "a..b", "~x", "$x", "user.alice@example.com"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	nss := fuzzNamespaces()
	f.Fuzz(func(t *testing.T, ext string, admin bool) {
		if len(ext) > 2000 {
			return
		}
		for i := range nss {
			ns := &nss[i]
			for _, v := range []Viewer{{UserID: "alice", IsAdmin: admin}, {UserID: "alice@example.com", IsAdmin: admin}} {
				n, err := ns.ParseExternal(ext, v)
				if err != nil {
					if !errors.Is(err, ErrBadName) && !errors.Is(err, ErrSpecialUse) {
						t.Fatalf("ParseExternal(%q): unexpected error %v", ext, err)
					}
					continue
				}
				if n.Deleted > 0xffffffff {
					continue // written as its low 32 bits ("%X" of an unsigned), in Cyrus too
				}
				in := ns.Internal(n)
				if ns.ParseInternal(in).Deleted > 0xffffffff {
					// a folder typed as "DELETED.x.<9+ hex digits>" reads back as
					// a deleted mailbox whose time has more than 32 bits: the
					// same truncation, in Cyrus too
					continue
				}
				in2 := ns.Internal(ns.ParseInternal(in))
				if ns.PolicyCheck(in) != nil {
					continue
				}
				if strings.ContainsAny(in, "\x1d\x1f") {
					continue // the domain part is not policy-checked, in Cyrus neither
				}
				if ns.DBToInternal(ns.InternalToDB(in)) != in2 {
					t.Fatalf("%q: dbname round trip changes %q", ext, in)
				}
				if ns.VirtDomains != VirtDomainsOff && (strings.Contains(in, "@") || v.IsAdmin && strings.Contains(ext, "@")) {
					continue // '@' names are ambiguous for domain admins, in Cyrus too
				}
				if in2 != in || ns.ParseInternal(in).Domain != n.Domain {
					continue // a '!' typed in a folder name reads back as a domain, in Cyrus too
				}
				out, ok := ns.ToExternal(in2, v)
				if !ok {
					continue
				}
				first, _, _ := strings.Cut(out, string(ns.Sep()))
				if i := strings.LastIndexByte(first, '@'); i >= 0 {
					first = first[:i]
				}
				if v.IsAdmin && first == ns.DeletedPrefix {
					// an admin's name under the deleted prefix is read as a
					// deleted mailbox (its last part the hex time), so a
					// folder named like it does not read back, in Cyrus too
					// (mbname_from_extname)
					continue
				}
				back, err := ns.ToInternal(out, v)
				if err != nil || back != in2 {
					t.Fatalf("%+v %v: %q -> %q -> %q -> %q (%v)", *ns, v, ext, in2, out, back, err)
				}
			}
		}
	})
}

// FuzzPolicyCheck: no panics, and the answer is the same for the name
// with and without a (virtdomains) domain prefix.
func FuzzPolicyCheck(f *testing.F) {
	for _, s := range []string{"user.alice.&AOk-", "user.alice.&", "&AOkA6QDp-", "a..b", "user.%x"} {
		f.Add(s)
	}
	ns := DefaultNamespace()
	ns.VirtDomains = VirtDomainsUserID
	f.Fuzz(func(t *testing.T, name string) {
		err := ns.PolicyCheck(name)
		if err != nil && !errors.Is(err, ErrBadName) {
			t.Fatalf("PolicyCheck(%q): %v", name, err)
		}
		if strings.ContainsAny(name, "!") || strings.HasPrefix(name, "$") || ns.ParseInternal(name).Deleted != 0 ||
			len(name)+12 > MaxNameLen {
			return
		}
		err2 := ns.PolicyCheck("example.com!" + name)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("PolicyCheck(%q) = %v but with a domain %v", name, err, err2)
		}
	})
}

// FuzzUTF7 checks that decoding and encoding are inverse.
func FuzzUTF7(f *testing.F) {
	for _, s := range []string{"caf&AOk-", "&-", "&ZeVnLIqe-", "&2D3eAA-", "&AOk", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := DecodeUTF7(s); err == nil {
			e, err := EncodeUTF7(d)
			if err != nil || e != s {
				t.Fatalf("DecodeUTF7(%q) = %q, re-encoded %q %v", s, d, e, err)
			}
		}
		if utf8.ValidString(s) {
			e, err := EncodeUTF7(s)
			if err != nil {
				t.Fatalf("EncodeUTF7(%q): %v", s, err)
			}
			d, err := DecodeUTF7(e)
			if err != nil || d != s {
				t.Fatalf("EncodeUTF7(%q) = %q, decoded %q %v", s, e, d, err)
			}
		}
	})
}

// FuzzRecipient: LMTP recipients never panic, and a recipient printed
// for a parsed name parses back to the same mailbox.
func FuzzRecipient(f *testing.F) {
	for _, s := range []string{"alice@x", "alice+Sent@x", "+shared.f@x", "a+b+c@d@e", "caf\xc3\xa9+\xff@x"} {
		f.Add(s)
	}
	nss := fuzzNamespaces()
	f.Fuzz(func(t *testing.T, rcpt string) {
		for i := range nss {
			ns := &nss[i]
			n, local := ns.FromRecipient(rcpt)
			if local == "" || strings.ContainsAny(local, "@+") {
				continue
			}
			r, ok := ns.Recipient(n)
			if !ok {
				t.Fatalf("no recipient for %+v", n)
			}
			// Cyrus prints boxes in UTF-7 but reads them as UTF-8.
			if strings.Contains(n.Domain, "@") || strings.ContainsAny(strings.Join(n.Boxes, ""), "@+&") {
				continue
			}
			back, _ := ns.FromRecipient(r)
			if ns.Internal(back) != ns.Internal(n) {
				t.Fatalf("%q -> %+v -> %q -> %+v", rcpt, n, r, back)
			}
		}
	})
}
