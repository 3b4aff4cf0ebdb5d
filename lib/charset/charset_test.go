package charset

import (
	"bytes"
	"testing"
)

// Search forms with tricky Unicode, as Cyrus 3.6.1 computes them (each
// checked against libcyrus by TestSearchFormMatchesCyrus's table).
func TestSearchFormExamples(t *testing.T) {
	cases := []struct {
		in    string
		flags Flags
		want  string
	}{
		{"café", DefaultFlags, "CAFE"},
		{"cafe\u0301", DefaultFlags, "CAFE"},
		{"café", 0, "CAFE\u0301"},
		{"Straße", DefaultFlags, "STRAssE"}, // ß has no title case: "ss"
		{"ﬁne", DefaultFlags, "fiNE"},       // ligature decomposes to lower case
		{"ἀρχή", DefaultFlags, "ΡΧ"},        // Greek in decompositions dropped with diacritics
		{"σς", DefaultFlags, "ΣΣ"},
		{"ı İ", DefaultFlags, "I I"},
		{"a \t\r\n b", DefaultFlags, "A B"},
		{"a \t b", SkipSpace, "AB"},
		{"a\u00a0\u3000b", DefaultFlags, "A B"},
		{"a…b", DefaultFlags, "A...B"},
		{"x\x00y", DefaultFlags, "X"},                // a C string ends at NUL
		{"\xe0\x81\x81", DefaultFlags, "A"},          // overlong UTF-8 accepted
		{"\xc0\x80z", DefaultFlags, "\ufffd\ufffdZ"}, // C0/C1 rejected, then a stray continuation
		{"Ab  c", KeepCase | MergeSpace, "Ab c"},
	}
	for _, c := range cases {
		got := SearchForm([]byte(c.in), c.flags)
		if string(got) != c.want {
			t.Errorf("SearchForm(%q, %d) = %q, want %q", c.in, c.flags, got, c.want)
		}
	}
}

func TestSearchBodyQuirks(t *testing.T) {
	p, err := CompilePattern([]byte("end"), "us-ascii", DefaultFlags)
	if err != nil {
		t.Fatal(err)
	}
	short := []byte("start ... end\r\n")
	if ok, _ := SearchBody(p, bytes.NewReader(short), "utf-8", EncodingNone, DefaultFlags); !ok {
		t.Error("utf-8 body: end not found")
	}
	if ok, _ := SearchBody(p, bytes.NewReader(short), "iso-8859-1", EncodingNone, DefaultFlags); ok {
		t.Error("iso-8859-1 body shorter than 4096 bytes: Cyrus does not search it")
	}
	if ok, _ := SearchBody(p, bytes.NewReader([]byte("the end")), "utf-8", EncodingQP, DefaultFlags); ok {
		t.Error("a QP line without newline is not searched by Cyrus")
	}
	if ok, _ := SearchBody(p, bytes.NewReader([]byte("the end")), "x-unknown-cs", EncodingNone, DefaultFlags); ok {
		t.Error("unknown charset matched")
	}
	if !SearchHeader(NewPattern([]byte("CAFE AU LAIT")), []byte("X: =?utf-8?q?caf=C3=A9?= =?utf-8?q?_au_lait?=\r\n"), DefaultFlags) {
		t.Error("adjacent encoded words")
	}
	if SearchHeader(NewPattern(nil), []byte("X: y\r\n"), DefaultFlags) {
		t.Error("an empty pattern never matches a header in Cyrus")
	}
}

func FuzzSearchForm(f *testing.F) {
	for _, s := range pieces {
		f.Add([]byte(s), uint8(DefaultFlags))
	}
	f.Fuzz(func(t *testing.T, b []byte, fl uint8) {
		flags := Flags(fl) & (SkipDiacrit | SkipSpace | MergeSpace | KeepCase)
		out := SearchForm(b, flags)
		p := NewPattern(out)
		if flags&KeepCase == 0 && len(out) > 0 && !SearchString(p, b, flags) {
			t.Fatalf("%q does not contain its own search form %q", b, out)
		}
	})
}

func FuzzHeader(f *testing.F) {
	for _, s := range headerPieces {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dec := DecodeHeader(b, DefaultFlags)
		_ = SearchHeader(NewPattern([]byte("A")), b, DefaultFlags|MIMEUTF8)
		if bytes.IndexByte(dec, 0) >= 0 {
			t.Fatalf("NUL in decoded header %q", b)
		}
	})
}

func FuzzBody(f *testing.F) {
	f.Add([]byte("caf=C3=A9\r\n"), "utf-8", 1)
	f.Add([]byte("Y2Fmw6k="), "utf-8", 2)
	f.Add([]byte("\x1b$BF|K\\\x1b(B"), "iso-2022-jp", 0)
	f.Fuzz(func(t *testing.T, b []byte, cs string, enc int) {
		for _, pat := range []string{"CAFE", "", "\ufffd"} {
			if _, err := SearchBody(NewPattern([]byte(pat)), bytes.NewReader(b), cs, enc, DefaultFlags); err != nil {
				t.Fatal(err)
			}
		}
	})
}
