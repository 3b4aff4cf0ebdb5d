package lmtp

import (
	"strings"
	"testing"
)

func TestParseAddr(t *testing.T) {
	for _, tc := range []struct {
		in     string
		strict bool
		want   string
		ok     bool
	}{
		{"<alice>", true, "<alice>", true},
		{"<alice@example.com> SIZE=1", true, "<alice@example.com>", true},
		{"<>", true, "<>", true},
		{"<@a.example,@b.example:bob@c.example>", true, "<@a.example,@b.example:bob@c.example>", true},
		{"<@a.example:bob>", true, "<@a.example:bob>", true},
		{"<@a.example@b:bob>", true, "", false},
		{`<"john doe"@x>`, true, `<"john doe"@x>`, true},
		{`<"a\"b">`, true, `<"a\"b">`, true},
		{`<"open>`, true, "", false},
		{"<a\\ b>", true, "<a\\ b>", true},
		{"<al ice>", true, "", false},
		{"<a(b)>", true, "", false},
		{"<alice@[10.0.0.1]>", true, "<alice@[10.0.0.1]>", true},
		{"<alice@[10.0.x.1]>", true, "", false},
		{"<alice>x", true, "", false},
		{"alice", true, "", false},
		{"<caf\xe9>", true, "", false},
		{"<caf\xe9>", false, "<cafX>", true},
		{"<alice", true, "", false},
		// The line is a C string to Cyrus: a NUL ends it, here too.
		{"<>\x00junk", true, "<>", true},
	} {
		got, ok := parseAddr(tc.in, tc.strict)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseAddr(%q, %v) = %q %v, want %q %v", tc.in, tc.strict, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseAuthEq(t *testing.T) {
	for _, tc := range []struct {
		in   string
		id   string
		set  bool
		rest string
	}{
		{"<>", "", false, ""},
		{"<> BODY=7BIT", "", false, " BODY=7BIT"},
		{"carol", "carol", true, ""},
		{"<carol>", "carol", true, ""},
		{"carol SIZE=1", "carol", true, " SIZE=1"},
		{"ca+2Brol", "ca", true, ""}, // Cyrus's decoder turns +XX into NUL
		{"ca+2xrol", "", false, "xrol"},
		{"a=b", "", false, "=b"},
		{"", "", true, ""},
	} {
		id, set, n := parseAuthEq(tc.in)
		if id != tc.id || set != tc.set || tc.in[n:] != tc.rest {
			t.Errorf("parseAuthEq(%q) = %q %v rest %q, want %q %v %q", tc.in, id, set, tc.in[n:], tc.id, tc.set, tc.rest)
		}
	}
}

func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"<alice>", "<@a,@b:c@d>", `<"x y"@z> A`, "<a\\>b>", "<[1.2]>"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, strict bool) {
		got, ok := parseAddr(s, strict)
		if !ok {
			return
		}
		if len(got) > len(s) || got[0] != '<' || got[len(got)-1] != '>' {
			t.Fatalf("%q -> %q", s, got)
		}
		// What follows is the end, a space, or a NUL (which ends the
		// line for Cyrus, whose parser reads C strings).
		if rest := s[len(got):]; rest != "" && rest[0] != ' ' && rest[0] != 0 {
			t.Fatalf("%q -> %q leaves %q", s, got, rest)
		}
		if strict && got != s[:len(got)] {
			t.Fatalf("strict parse changed the address: %q -> %q", s, got)
		}
	})
}

func FuzzParseAuthEq(f *testing.F) {
	for _, s := range []string{"<>", "carol", "a+2Bb c", "<x>", "=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, set, n := parseAuthEq(s)
		if n < 0 || n > len(s) {
			t.Fatalf("%q: consumed %d", s, n)
		}
		if !set && id != "" || strings.ContainsAny(id, "\x00 =") {
			t.Fatalf("%q: %q %v", s, id, set)
		}
	})
}
