package sieve

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gyrus/lib/config"
)

// all enables every extension, as Cyrus's default sieve_extensions does.
var all = Options{Extensions: ^config.Bits(0), RFC3028Strict: true}

func lexAll(t *testing.T, src string) ([]token, []string) {
	t.Helper()
	var errs []string
	l := newLexer([]byte(src), func(m string) { errs = append(errs, m) })
	var toks []token
	for {
		tok := l.next()
		if tok.kind == tEOF {
			return toks, errs
		}
		toks = append(toks, tok)
	}
}

func TestLexKeywordsAreLongestMatch(t *testing.T) {
	toks, _ := lexAll(t, "ifx headers :overx IF")
	var got []string
	for _, tk := range toks {
		if tk.kind == tWord {
			got = append(got, tk.text)
		} else {
			got = append(got, string(tk.ch))
		}
	}
	want := "if x header s :over x I F"
	if strings.Join(got, " ") != want {
		t.Errorf("tokens %q, want %q", strings.Join(got, " "), want)
	}
}

func TestLexNumbers(t *testing.T) {
	for src, want := range map[string]int{"0": 0, "17": 17, "3k": 3 << 10, "2M": 2 << 20, "1G": 1 << 30, "2147483647": 1<<31 - 1} {
		toks, errs := lexAll(t, src)
		if len(toks) != 1 || toks[0].kind != tNumber || toks[0].num != want || len(errs) != 0 {
			t.Errorf("%s: %+v %v, want %d", src, toks, errs, want)
		}
	}
	for _, src := range []string{"2G", "2147483648", "99999999999999999999"} {
		if _, errs := lexAll(t, src); len(errs) != 1 || errs[0] != "number too large "+src {
			t.Errorf("%s: errors %q", src, errs)
		}
	}
}

func TestLexStrings(t *testing.T) {
	cases := []struct{ src, want string }{
		{`"a\"b\\c\d"`, `a"b\cd`},
		{"\"two\nlines\"", "two\nlines"},
		{"text:\nabc\n..x\n.\n", "abc\n.x\n"},
		{"text: # note\r\nline\r\n.\r\n", "line\r\n"},
		{"text:\n.\n", ""},
		{"\"nul\x00cut\"", "nul"},
	}
	for _, c := range cases {
		toks, errs := lexAll(t, c.src)
		if len(toks) != 1 || toks[0].kind != tString || toks[0].text != c.want || len(errs) != 0 {
			t.Errorf("%q: %+v %v, want %q", c.src, toks, errs, c.want)
		}
	}
	if _, errs := lexAll(t, "\"open"); len(errs) != 1 || errs[0] != "unexpected end of file in string" {
		t.Errorf("unterminated string: %q", errs)
	}
}

func TestLexComments(t *testing.T) {
	// flex's longest match makes "**/" not end a comment when a later
	// "*/" can
	for src, want := range map[string]int{
		"# x\nkeep":         1,
		"/* a\n b */ keep":  1,
		"/* a **/ keep; */": 0,
		"/* a */ keep /**/": 1,
		"/* open":           6, // '/' '*' then "open" splits into bytes
		"keep /* x */ keep": 2,
	} {
		toks, _ := lexAll(t, src)
		if len(toks) != want {
			t.Errorf("%q: %d tokens, want %d", src, len(toks), want)
		}
	}
}

func TestHighByteEndsScript(t *testing.T) {
	a, err1 := Compile([]byte("keep; \xff anything at all"), all)
	b, err2 := Compile([]byte("keep;"), all)
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Errorf("a byte from 0x80 up outside strings should end the script: %v %v", err1, err2)
	}
	if _, err := Compile([]byte("keep \x00;"), all); err == nil {
		t.Error("NUL before ';' should be a syntax error (the end of the script)")
	}
}

func TestLexLines(t *testing.T) {
	l := newLexer([]byte("keep\n\n\"a\nb\"\n:comparator\n\n\"i;octet\""), func(string) {})
	want := []int{1, 4, 5, 7}
	for i, w := range want {
		l.next()
		if l.line != w {
			t.Errorf("token %d: line %d, want %d", i, l.line, w)
		}
	}
}

func TestDecodeEncoded(t *testing.T) {
	cases := []struct {
		in, out string
		ok      bool
	}{
		{"${hex:41 42}", "AB", true},
		{"${HEX: 4 }x", "\x04x", true},
		{"${unicode:263A}", "\u263a", true},
		{"${unicode: 41 e9 }", "Aé", true},
		{"${hex:zz}", "${hex:zz}", true},
		{"${hex:414}", "${hex:414}", true},
		{"${other:41}", "${other:41}", true},
		{"${hex:41", "${hex:41", true},
		{"${unicode:d800}", "${unicode:d800}", false},
		{"${hex:24}{hex:41}", "${hex:41}", true},
	}
	for _, c := range cases {
		out, ok := decodeEncoded(c.in)
		if out != c.out || ok != c.ok {
			t.Errorf("%q: %q %v, want %q %v", c.in, out, ok, c.out, c.ok)
		}
	}
}

func compileErr(t *testing.T, src string, o Options) []Problem {
	t.Helper()
	_, err := Compile([]byte(src), o)
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("%q: no *Error: %v", src, err)
	}
	return se.Problems
}

func TestProblems(t *testing.T) {
	cases := []struct {
		src  string
		want []Problem
	}{
		{"keep;\nfileinto \"x\";\n", []Problem{{2, `fileinto extension MUST be enabled with "require" command`}}},
		{"require [\"a\",\n\"fileinto\", \"b\"];", []Problem{{2, `Unsupported feature(s) in "require": "a", "b"`}}},
		{"keep\ndiscard;", []Problem{{2, "syntax error"}}},
		{"require \"fileinto\";\nfileinto :copy\n\"x\";", []Problem{{2, `copy extension MUST be enabled with "require" command`}}},
		{"require \"relational\";\nif header :count \"gt\" \"a\" \"1\" { keep; }", []Problem{{2, `":count" match-type MUST NOT be used with "i;ascii-casemap" comparator`}}},
		{"if header :is :contains \"a\" \"b\" {}", []Problem{{1, "multiple match-type tags"}}},
		{"if address \"subject\" \"x\" {}", []Problem{{1, "header 'subject': not a valid header for an address test"}}},
		{"redirect \"nobody\";", []Problem{{1, "address 'nobody': syntax error"}}},
		{"require \"variables\";\nset \"1x\" \"${10}\";", []Problem{
			{2, "string '${10}': match variable index > 9 unsupported"},
			{2, "string '1x': not a valid sieve identifier"}}},
		{"require \"ihave\";\nif ihave \"encoded-character\" {}", []Problem{{2, `"encoded-character" extension MUST NOT be used in "ihave" test`}}},
		{"if header :comparator \"x\" \"a\" \"b\" {}", []Problem{{1, `unknown comparator-name "x"`}, {1, "syntax error"}}},
		{"fileinto \"a\";\nreject \"b\";\nvacation \"c\";\n", []Problem{
			{1, `fileinto extension MUST be enabled with "require" command`},
			{2, `reject extension MUST be enabled with "require" command`},
			{3, `vacation extension MUST be enabled with "require" command`}}},
		// keep's tags need a look at the next token: the line of ';'
		{"require \"imap4flags\";\nkeep :flags \"a\" :flags \"b\"\n;", []Problem{{2, "duplicate :flags tag"}}},
		{"require \"extlists\";", []Problem{{1, `Unsupported feature(s) in "require": "extlists"`}}}, // no httpmodules: carddav
	}
	for _, c := range cases {
		got := compileErr(t, c.src, all)
		if len(got) != len(c.want) {
			t.Errorf("%q: %v, want %v", c.src, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: problem %d is %v, want %v", c.src, i, got[i], c.want[i])
			}
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Problems: []Problem{{1, "a"}, {3, "b"}}}
	if got := e.Error(); got != "line 1: a\r\nline 3: b\r\n" {
		t.Errorf("%q", got)
	}
}

func TestDisabledExtension(t *testing.T) {
	o := all
	o.Extensions &^= config.SieveExtensionsFileinto
	got := compileErr(t, `require "fileinto";`, o)
	if len(got) != 1 || got[0].Msg != `Unsupported feature(s) in "require": "fileinto"` {
		t.Errorf("%v", got)
	}
	if strings.Contains(" "+o.Capability()+" ", " fileinto ") {
		t.Errorf("capability names a disabled extension: %s", o.Capability())
	}
}

// words reads the 32-bit words of a bytecode.
func words(b []byte) []int32 {
	w := make([]int32, len(b)/4)
	for i := range w {
		w[i] = int32(binary.BigEndian.Uint32(b[4*i:]))
	}
	return w
}

func TestBytecodeLayout(t *testing.T) {
	bc, err := Compile([]byte("if true { keep; } else { discard; }"), all)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(bc, []byte("CyrSBytecode")) {
		t.Fatalf("magic: %q", bc[:12])
	}
	// (offsets count from the start of the file: the magic is words
	// 0-2) version, requires, IF, test end (word 8), TRUE, JUMP to 15,
	// KEEP with an empty list (its end at byte 52), JUMP to 16, DISCARD
	want := []int32{0x1f, 0, opIf, 8, tcTrue, opJump, 15, opKeep, 0, 52, opJump, 16, opDiscard}
	got := words(bc[12:])
	if len(got) != len(want) {
		t.Fatalf("words %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("word %d: %d, want %d (%v)", i, got[i], want[i], got)
		}
	}
	// strings: length, bytes, 1 to 4 NULs
	var w writer
	s := "abcd"
	w.str(&s)
	if !bytes.Equal(w.b, []byte{0, 0, 0, 4, 'a', 'b', 'c', 'd', 0, 0, 0, 0}) {
		t.Errorf("string: %x", w.b)
	}
	w.b = nil
	w.str(nil)
	if !bytes.Equal(w.b, []byte{0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("nil string: %x", w.b)
	}
}

func TestVariablesFlagAndClamp(t *testing.T) {
	bc, err := Compile([]byte("require [\"variables\",\"vacation\"];\nvacation :days 1 \"x\";"), all)
	if err != nil {
		t.Fatal(err)
	}
	w := words(bc[12:])
	if w[1] != requiresVariables {
		t.Errorf("requires word %d", w[1])
	}
	// addresses list (2 words), subject nil, message "x" (2 words): seconds
	if w[2] != opVacation || w[8] != 3*dayToSec {
		t.Errorf("vacation %v", w)
	}
	o := all
	o.VacationMinResponse = time.Hour
	bc, _ = Compile([]byte("require \"vacation\";\nvacation :days 1 \"x\";"), o)
	if w := words(bc[12:]); w[8] != dayToSec {
		t.Errorf("with a one-hour minimum, :days 1 is %d seconds", w[8])
	}
}

func TestCapability(t *testing.T) {
	want := "encoded-character comparator-i;ascii-numeric fileinto reject ereject vacation vacation-seconds " +
		"notify enotify include editheader vnd.cyrus.snooze vnd.cyrus.imip envelope environment body " +
		"imap4flags date ihave mailbox mboxmetadata servermetadata duplicate vnd.cyrus.jmapquery relational regex extlists subaddress " +
		"copy index variables redirect-deliverby redirect-dsn special-use fcc mailboxid"
	if got := all.Capability(); got != want {
		t.Errorf("capability\n got %s\nwant %s", got, want)
	}
	o := Options{Extensions: config.SieveExtensionsVacation | config.SieveExtensionsFileinto}
	if got := o.Capability(); got != "encoded-character comparator-i;ascii-numeric fileinto vacation" {
		t.Errorf("%s", got)
	}
}

func TestAddress(t *testing.T) {
	for _, a := range []string{"a@b", "a.b@c.d", `"x y"@z`, "Joe <j@x.org>", `"J" B <j@[1.2.3.4]>`, "a@b (comment (nested))",
		"a@b)", "a@b (open"} { // Cyrus's scanner stops there, after a whole address
		if m := parseAddress(a); m != "" {
			t.Errorf("%q: %s", a, m)
		}
	}
	for _, a := range []string{"", "a", "a@", "@b", "a@b.", "<a@b>", `""@b`, "a@[]", "a@b \"x", "a@[x"} {
		if parseAddress(a) == "" {
			t.Errorf("%q accepted", a)
		}
	}
}

func TestRegexMessages(t *testing.T) {
	for pat, want := range map[string]string{
		"(":          "unbalanced () at offset 1     ",
		"a)":         "unbalanced () at offset 1     ",
		"[a":         "unbalanced [] at offset 2     ",
		"[z-a]":      "bad range inside [] at offset 3     ",
		"a**":        "? * + invalid at offset 2     ",
		"*a":         "? * + invalid at offset 0     ",
		"a{2,1}":     "invalid repeat counts in {} at offset 5     ",
		`a\`:         "bad escape sequence at offset 2     ",
		`(a)\1`:      "bad back reference at offset 5     ",
		"(?z)":       "pattern error at offset 2     ",
		"[[:foo:]]":  "bad class at offset 3     ",
		"(?=a)b":     "", // PCRE only: let through
		"a*+":        "",
		"a{2000}":    "",
		"^re: (.*)$": "",
	} {
		if got := checkRegex(pat); got != want {
			t.Errorf("%q: %q, want %q", pat, got, want)
		}
	}
}

func TestValidUTF8(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "abc": true, "\u00e9t\u00e9": true, "\U0001F600": true,
		"\xff": true, "a\xff": true, "a\xc0": true, // a bad last lead byte slips through, as in Cyrus
		"\xffa": false, "\xc3": false, "\xc3A": false, "\xe0\x80\x80": false, "\xc0\x80": false,
	} {
		if validUTF8(s) != want {
			t.Errorf("validUTF8(%q) = %v", s, !want)
		}
	}
}

func TestFlagList(t *testing.T) {
	p := &parser{support: capBase}
	got := p.flagList([]string{"\\SEEN  $a", "\\Bogus", "$A", "bad(", "\\seen"})
	if strings.Join(got, ",") != "\\seen,$a" {
		t.Errorf("%q", got)
	}
	if got := p.flagList([]string{"\\bogus"}); len(got) != 1 || got[0] != "" {
		t.Errorf("%q", got)
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("if true {", MaxDepth) + strings.Repeat("}", MaxDepth)
	if got := compileErr(t, deep, all); got[len(got)-1].Msg != "script nested too deeply" {
		t.Errorf("%v", got)
	}
	if _, err := Compile(make([]byte, MaxScriptSize+1), all); err == nil {
		t.Error("oversized script compiled")
	}
}

// TestLargeScripts guards against work quadratic in the script: many
// encoded characters in one string, many commands, a long list. Each
// script is compiled at two sizes eight times apart; linear work takes
// about eight times as long, quadratic sixty-four. The ratio, not a wall
// clock limit, is checked, so a slow machine or -race does not matter.
func TestLargeScripts(t *testing.T) {
	scripts := map[string]func(n int) string{
		"encoded": func(n int) string {
			return "require \"encoded-character\";\nif header :is \"x\" \"" + strings.Repeat("${hex:41}", n) + "\" { keep; }"
		},
		"keeps": func(n int) string { return strings.Repeat("keep;\n", n) },
		"list": func(n int) string {
			return "if header :is \"x\" [" + strings.Repeat("\"a\",", n-1) + "\"b\"] { keep; }"
		},
	}
	const small, factor = 8000, 8
	for name, gen := range scripts {
		best := func(n int) time.Duration {
			src := []byte(gen(n))
			var min time.Duration
			for i := 0; i < 3; i++ {
				start := time.Now()
				if _, err := Compile(src, all); err != nil {
					t.Fatalf("%s(%d): %v", name, n, err)
				}
				if d := time.Since(start); i == 0 || d < min {
					min = d
				}
			}
			return min
		}
		little, big := best(small), best(small*factor)
		t.Logf("%s: %v %v", name, little, big)
		// 50 ms of slack keeps a tiny small-size time from making noise
		// look like growth.
		if big > 4*factor*little+50*time.Millisecond {
			t.Errorf("%s: %d items took %v, %d took %v: worse than linear", name, small, little, small*factor, big)
		}
	}
	// The largest script the limits allow still compiles.
	if _, err := Compile([]byte(scripts["keeps"](MaxScriptSize/7)), all); err != nil {
		t.Fatal(err)
	}
}

func FuzzCompile(f *testing.F) {
	seeds, _ := filepath.Glob("../../test/sieve/testdata/*/*.sieve")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("require \"encoded-character\";\nkeep :flags \"${hex:5c}seen\";"))
	f.Fuzz(func(t *testing.T, src []byte) {
		bc, err := Compile(src, all)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || len(se.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			for _, p := range se.Problems {
				if p.Line < 1 || p.Line > bytes.Count(src, []byte("\n"))+1 {
					t.Fatalf("problem on line %d of a %d-line script", p.Line, bytes.Count(src, []byte("\n"))+1)
				}
			}
			return
		}
		if !bytes.HasPrefix(bc, []byte("CyrSBytecode")) || len(bc)%4 != 0 {
			t.Fatalf("bad bytecode %x", bc)
		}
		again, err := Compile(src, all)
		if err != nil || !bytes.Equal(again, bc) {
			t.Fatal("compilation is not deterministic")
		}
	})
}

func TestJSONCompact(t *testing.T) {
	for in, want := range map[string]string{
		`{ "b" : 1, "a" : [ true, null, "x" ] }`:     `{"b":1,"a":[true,null,"x"]}`,
		`{"a":1,"b":2,"a":3}`:                        `{"a":3,"b":2}`,
		`[1.0, 0.1, 1e20, -0.0, 2.5e-7, 1E+2]`:       `[1.0,0.10000000000000001,1e20,-0.0,2.4999999999999999e-7,100.0]`,
		`["\u00e9\ud83d\ude00\"\\\/\t\u0001\u007f"]`: "[\"\u00e9\U0001F600\\\"\\\\/\\t\\u0001\x7f\"]",
	} {
		v, ok := parseJSON(in)
		if !ok {
			t.Errorf("%s: refused", in)
			continue
		}
		if got := compact(v); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{`1`, `"x"`, `{"a":}`, `[01]`, `["\u0000"]`, `["\ud800"]`, `[1e400]`, `[9223372036854775808]`, `{} x`, "[\"\xff\"]"} {
		if _, ok := parseJSON(bad); ok {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestJMAPFilter(t *testing.T) {
	for in, want := range map[string]string{
		`{"from":"a","minSize":3,"before":"2024-01-02T03:04:05Z"}`:               "",
		`{"operator":"OR","conditions":[{"to":"x"},{"header":["a","b","foo"]}]}`: "conditions[1]/header[2:foo]",
		`{"operator":"AND","conditions":[]}`:                                     "conditions",
		`{"minSize":"3"}`:                                                        "minSize",
		`[]`:                                                                     "(null)",
		`{"language":"eng","inMailboxOtherThan":[]}`:                             "",
		`{"language":"e1"}`:                                                      "language",
	} {
		v, _ := parseJSON(in)
		var f filterCheck
		f.filter(v)
		got := ""
		if f.invalid {
			got = f.joined()
		}
		if got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}
