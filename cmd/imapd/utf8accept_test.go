package main

import (
	"errors"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"gyrus/lib/mboxname"
)

func TestNetUnicodeName(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "Entwürfe", want: "Entwürfe"},
		{in: "Entwu\u0308rfe", want: "Entwürfe"}, // decomposed ü becomes U+00FC
		{in: "台北", want: "台北"},
		{in: "a\tb", bad: true},
		{in: "a\u0085b", bad: true}, // C1 control (NEL)
		{in: "a\u007fb", bad: true},
		{in: "a\u2028b", bad: true},
		{in: "a\u2029b", bad: true},
		{in: "a\xffb", bad: true},
	} {
		got, err := netUnicodeName(tc.in)
		if tc.bad {
			if !errors.Is(err, mboxname.ErrBadName) {
				t.Errorf("%q: %q, %v; want ErrBadName", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzNetUnicodeName: whatever a client sends, an accepted name is valid
// UTF-8, in NFC, free of the refused characters, and accepted again
// unchanged.
func FuzzNetUnicodeName(f *testing.F) {
	for _, s := range []string{"INBOX", "Entwu\u0308rfe", "台北/日本語", "a\u2028", "\xc3", "&U,BTFw-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := netUnicodeName(in)
		if err != nil {
			if !errors.Is(err, mboxname.ErrBadName) {
				t.Fatalf("%q: error %v is not ErrBadName", in, err)
			}
			return
		}
		if !utf8.ValidString(out) || !norm.NFC.IsNormalString(out) {
			t.Fatalf("%q -> %q: not valid NFC", in, out)
		}
		for _, r := range out {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
				t.Fatalf("%q -> %q holds U+%04X", in, out, r)
			}
		}
		again, err := netUnicodeName(out)
		if err != nil || again != out {
			t.Fatalf("%q -> %q -> %q, %v", in, out, again, err)
		}
	})
}
