package main

import (
	"testing"

	"gyrus/lib/mboxname"
)

func TestMixedName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"INBOX.Grüße & Co", ""}, // "&" not escaped: not modified UTF-7
		{"INBOX.Grüße &- Co", "INBOX.Gr&APwA3w-e &- Co"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"a&AOQ-ü", "a&AOQ-&APw-"},
		{"Cafe\u0301", "Caf&AOk-"}, // NFC first: e + combining acute is é
		{"x\u2028y", ""},           // a line separator is not Net-Unicode
	} {
		got, err := mixedName(tc.in)
		if tc.want == "" {
			if err == nil {
				// the "&" case is refused later, by the modified UTF-7 check
				if _, derr := mboxname.DecodeUTF7(got); derr == nil {
					t.Errorf("mixedName(%q) = %q, want an error", tc.in, got)
				}
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("mixedName(%q) = %q %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzMixedName: what mixedName returns is 7-bit, and its non-ASCII
// characters come back when it is decoded.
func FuzzMixedName(f *testing.F) {
	for _, s := range []string{"INBOX.Grüße &- Co", "Entwürfe", "a&AOQ-ü", "日本語", "x\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := mixedName(s)
		if err != nil {
			return
		}
		if hasHighBit(got) {
			t.Fatalf("%q -> %q is not 7-bit", s, got)
		}
	})
}
