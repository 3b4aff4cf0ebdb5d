package dlist

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Real byte strings written by Cyrus 3.6.1 (spec/formats.md §8.2,
// formats-test-vectors.md §2 and §4).
var cyrusVectors = []string{
	// mailboxes.db, first instance
	"%(T e N user\x1falice P default V 1700000000 C 1 F 1 M 1795776671 A %(alice lrswipkxtecdan anyone lrs) H ())",
	"%(T e I 0f8e2d4c-1b2a-4c3d-9e8f-112233445566 P default V 1700000000 C 1 F 1 M 1795776671 A %(alice lrswipkxtecdan anyone lrs))",
	// mailboxes.db, second instance
	"%(T el N user\x1fbob\x1fSent.Items P default V 1795776865 C 1 F 1 M 1795776864 A %(bob lrswipkxtecdan) H ())",
	"%(T el N \"example.org\x1duser\x1fcarol\" P default V 1 C 1 F 1 M 1795776864 A %(carol@example.org lrswipkxtecdan) H ())",
	"%(T el I aaaaaaaa-0000-4000-8000-000000000004 P default V 1795776865 C 1 F 1 M 1795776864 A %(bob lrswipkxtecdan))",
	"%(T el I aaaaaaaa-0000-4000-8000-000000000003 P default V 1 C 1 F 1 M 1795776864 A %(carol@example.org lrswipkxtecdan))",
	"%(T e I bbbbbbbb-0000-4000-8000-000000000005 P default V 1795776865 C 1 F 1 M 1795776864 A %(anyone lrs))",
	"%(T el I aaaaaaaa-0000-4000-8000-000000000001 P default V 1795776865 C 1 F 1 M 1795776864 A %(bob lrswipkxtecdan))",
	// cyrus.header line 4
	"%(T e N user.alice I 0f8e2d4c-1b2a-4c3d-9e8f-112233445566 A %(alice lrswipkxtecdan anyone lrs))",
	"%(T el N user.bob.Sent^Items I aaaaaaaa-0000-4000-8000-000000000002 A %(bob lrswipkxtecdan))",
	"%(T e N user.alice I 0f8e2d4c-1b2a-4c3d-9e8f-112233445566 Q user.alice A %(alice lrswipkxtecdan) U ($Forwarded NIL Junk))",
}

func TestCyrusVectorsRoundTrip(t *testing.T) {
	for _, in := range cyrusVectors {
		v, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := string(v.Bytes()); got != in {
			t.Errorf("round trip\n got %q\nwant %q", got, in)
		}
	}
}

func TestBuildMailboxesDBRecord(t *testing.T) {
	kv := NewKVList()
	kv.AddString("T", "e")
	kv.AddString("N", "user\x1falice")
	kv.AddString("P", "default")
	kv.AddNum("V", 1700000000)
	kv.AddNum("C", 1)
	kv.AddNum("F", 1)
	kv.AddNum("M", 1795776671)
	acl := kv.AddKVList("A")
	acl.AddString("alice", "lrswipkxtecdan")
	acl.AddString("anyone", "lrs")
	kv.AddList("H")
	if got, want := string(kv.Bytes()), cyrusVectors[0]; got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}

	kv2 := NewKVList()
	kv2.AddString("N", "example.org\x1duser\x1fcarol")
	if got, want := string(kv2.Bytes()), "%(N \"example.org\x1duser\x1fcarol\")"; got != want {
		t.Fatalf("domain dbname: got %q want %q", got, want)
	}
}

func TestReadHelpers(t *testing.T) {
	v, err := Parse([]byte(cyrusVectors[0]))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := v.GetString("N"); !ok || s != "user\x1falice" {
		t.Errorf("N = %q %v", s, ok)
	}
	if n, ok := v.GetNum("V"); !ok || n != 1700000000 {
		t.Errorf("V = %d %v", n, ok)
	}
	if n, ok := v.GetNum32("M"); !ok || n != 1795776671 {
		t.Errorf("M = %d %v", n, ok)
	}
	if _, ok := v.GetNum("T"); ok {
		t.Errorf("T parsed as a number")
	}
	if _, ok := v.GetString("missing"); ok {
		t.Errorf("missing key found")
	}
	acl, ok := v.GetKVList("A")
	if !ok {
		t.Fatal("no A kvlist")
	}
	pairs, ok := acl.Pairs()
	if !ok || len(pairs) != 2 || pairs[0] != [2]string{"alice", "lrswipkxtecdan"} || pairs[1] != [2]string{"anyone", "lrs"} {
		t.Errorf("ACL pairs = %v %v", pairs, ok)
	}
	h, ok := v.GetList("H")
	if !ok || len(h.Items) != 0 {
		t.Errorf("H = %v %v", h, ok)
	}
	if _, ok := v.GetList("A"); ok {
		t.Errorf("A taken for a plain list")
	}

	hdr, err := Parse([]byte(cyrusVectors[10]))
	if err != nil {
		t.Fatal(err)
	}
	u, ok := hdr.GetList("U")
	if !ok || len(u.Items) != 3 || u.Items[1].Kind != Nil || u.Items[0].Str != "$Forwarded" {
		t.Errorf("U = %v", u)
	}
}

func TestPrintStrings(t *testing.T) {
	long := strings.Repeat("a", 1023)
	cases := []struct{ in, want string }{
		{"", `""`},
		{"NIL", `"NIL"`},
		{"nil", "nil"},
		{"abc", "abc"},
		{"user\x1falice", "user\x1falice"},
		{"a\x1db", "\"a\x1db\""},
		{"a b", `"a b"`},
		{"a*b", `"a*b"`},
		{"a%b", "{3}\r\na%b"},
		{"a\\b", "{3}\r\na\\b"},
		{`a"b`, "{3}\r\na\"b"},
		{"a(b", `"a(b"`},
		{"a{b", `"a{b"`},
		{"a\tb", "\"a\tb\""},
		{"a\x7fb", "\"a\x7fb\""},
		{"a\rb", "{3}\r\na\rb"},
		{"a\nb", "{3}\r\na\nb"},
		{"caf\xc3\xa9", "{5}\r\ncaf\xc3\xa9"},
		{"a\x00b", "{3}\r\na\x00b"},
		{long, long},
		{long + "a", "{1024}\r\n" + long + "a"},
		{long + " ", "{1024}\r\n" + long + " "},
		{strings.Repeat(" ", 1023), `"` + strings.Repeat(" ", 1023) + `"`},
		{"$Forwarded", "$Forwarded"},
		{"a.b^c@d-e_f+g", "a.b^c@d-e_f+g"},
		{"[x]", "[x]"},
	}
	for _, c := range cases {
		if got := string(AppendString(nil, c.in, false)); got != c.want {
			t.Errorf("AppendString(%q) = %q, want %q", c.in, got, c.want)
		}
		// Everything printed must parse back to the same string.
		v, err := Parse([]byte(c.want))
		if err != nil {
			t.Errorf("Parse(%q): %v", c.want, err)
			continue
		}
		if v.Kind != String || v.Str != c.in {
			t.Errorf("Parse(%q) = %v %q, want %q", c.want, v.Kind, v.Str, c.in)
		}
	}
	if got := string(AppendString(nil, "a%b", true)); got != "{3+}\r\na%b" {
		t.Errorf("client literal = %q", got)
	}
}

func TestPrintKinds(t *testing.T) {
	var g [20]byte
	for i := range g {
		g[i] = byte(i * 13)
	}
	kv := NewKVList()
	kv.AddNil("A")
	kv.AddFlag("B", `\Seen`)
	kv.AddNum("C", 18446744073709551615)
	kv.AddHex("D", 0xabc)
	kv.AddGUID("E", g)
	l := kv.AddList("F")
	l.Add("", NewString("x"))
	l.Add("", NewNum(0))
	kv.AddKVList("G")
	pk := kv.AddList("H")
	pk.PrintKeys = true
	pk.AddString("k", "v")
	want := `%(A NIL B \Seen C 18446744073709551615 D 0000000000000abc E 000d1a2734414e5b6875828f9ca9b6c3d0ddeaf7 F (x 0) G %() H (k v))`
	if got := string(kv.Bytes()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := string(Append(nil, kv.Child("B"), true)); got != `B \Seen` {
		t.Errorf("with key: %q", got)
	}
	p, err := Parse([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	if p.Child("A").Kind != Nil || p.Child("B").Kind != Flag {
		t.Errorf("kinds: %v %v", p.Child("A").Kind, p.Child("B").Kind)
	}
	if n, ok := p.GetHex("D"); !ok || n != 0xabc {
		t.Errorf("hex = %x %v", n, ok)
	}
	if gg, ok := p.GetGUID("E"); !ok || gg != g {
		t.Errorf("guid = %x %v", gg, ok)
	}
	if n, ok := p.GetNum("C"); !ok || n != 18446744073709551615 {
		t.Errorf("max num = %d %v", n, ok)
	}
}

func TestNumberParsing(t *testing.T) {
	cases := []struct {
		s       string
		dec     uint64
		decOK   bool
		hex     uint64
		hexOK   bool
		comment string
	}{
		{"0", 0, true, 0, true, ""},
		{"18446744073709551615", 18446744073709551615, true, 0, false, "max"},
		{"18446744073709551616", 0, false, 0, false, "overflow"},
		{"ffffffffffffffff", 0, false, 0xffffffffffffffff, true, ""},
		{"0000000000000000001", 1, true, 1, true, "leading zeros never overflow"},
		{"00000000000000001", 1, true, 1, true, "17 hex digits with small value"},
		{"1fffffffffffffff0", 0, false, 0, false, ""},
		{"ABCdef", 0, false, 0xabcdef, true, ""},
		{"-1", 0, false, 0, false, ""},
		{"", 0, false, 0, false, ""},
		{"12a", 0, false, 0x12a, true, ""},
	}
	for _, c := range cases {
		v := NewString(c.s)
		d, ok := v.AsNum()
		if ok != c.decOK || (ok && d != c.dec) {
			t.Errorf("AsNum(%q) = %d %v, want %d %v", c.s, d, ok, c.dec, c.decOK)
		}
		h, ok := v.AsHex()
		if ok != c.hexOK || (ok && h != c.hex) {
			t.Errorf("AsHex(%q) = %x %v, want %x %v", c.s, h, ok, c.hex, c.hexOK)
		}
	}
}

func TestParseLenient(t *testing.T) {
	cases := []struct{ in, want string }{
		{"(  a   b )", "(a b)"},
		{"(a(b))", "(a (b))"},
		{"%(A(b))", "%(A (b))"},
		{`("a\"b" "c\\d" "e\f")`, "({3}\r\na\"b {3}\r\nc\\d ef)"},
		{"({3}\r\nabc {2+}\r\nde)", "(abc de)"},
		{"{0}\r\n", `""`},
		{`("NIL" NIL)`, `("NIL" NIL)`},
		{"%(\"NIL\" x {1}\r\nk v)", `%("NIL" x k v)`},
		{"(a*b)", `("a*b")`},
		{"(\\Seen \\Answered)", `(\Seen \Answered)`},
		{"%()", "%()"},
		{"()", "()"},
		{"atom", "atom"},
		{"\"caf\xc3\xa9\"", "{5}\r\ncaf\xc3\xa9"},
	}
	for _, c := range cases {
		v, err := Parse([]byte(c.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := string(v.Bytes()); got != c.want {
			t.Errorf("Parse(%q) printed %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	bad := []string{
		"",
		"(",
		"(a",
		"%(a)",
		"%(a b",
		"%x",
		")",
		"(a))",
		"a ",
		"\"abc",
		"\"ab\r\nc\"",
		"{3}\r\nab",
		"{3}\nabc",
		"{x}\r\n",
		"{99999999999}\r\n",
		"%(NIL)",
		"%({1}\r\n\x00 v)",
		"%{default 0123 4}\r\nabcd",
		" a",
	}
	for _, in := range bad {
		if v, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) = %v, want error", in, v)
		}
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("(", 65) + strings.Repeat(")", 65)
	if _, err := Parse([]byte(deep)); !errors.Is(err, ErrLimit) {
		t.Errorf("depth 65: err = %v", err)
	}
	ok := strings.Repeat("(", 64) + strings.Repeat(")", 64)
	if _, err := Parse([]byte(ok)); err != nil {
		t.Errorf("depth 64: %v", err)
	}

	d := NewDecoder(strings.NewReader("{100000}\r\n"))
	d.Limits.MaxLiteral = 1000
	if _, err := d.Decode(false); !errors.Is(err, ErrLimit) {
		t.Errorf("literal limit: err = %v", err)
	}
	// A huge announced literal with no body fails without taking the memory.
	d = NewDecoder(strings.NewReader("{2000000000}\r\nabc"))
	d.Limits.MaxLiteral = 1 << 31
	d.Limits.MaxTotal = 1 << 40
	if _, err := d.Decode(false); err == nil || errors.Is(err, ErrLimit) {
		t.Errorf("short literal: err = %v", err)
	}
	d = NewDecoder(strings.NewReader(strings.Repeat("a", 100)))
	d.Limits.MaxString = 10
	if _, err := d.Decode(false); !errors.Is(err, ErrLimit) {
		t.Errorf("atom limit: err = %v", err)
	}
	d = NewDecoder(strings.NewReader("(" + strings.Repeat("a ", 100) + ")"))
	d.Limits.MaxTotal = 50
	if _, err := d.Decode(false); !errors.Is(err, ErrLimit) {
		t.Errorf("total limit: err = %v", err)
	}
}

func TestDecoderStream(t *testing.T) {
	// A replication command line: key, value, CRLF, then the next line.
	in := "MAILBOX %(UNIQUEID abc MBOXNAME user.alice LAST_UID 3)\r\nNEXT\r\n"
	d := NewDecoder(strings.NewReader(in))
	var hooks []int64
	d.LiteralHook = func(n int64, nonSync bool) error { hooks = append(hooks, n); return nil }
	v, err := d.Decode(true)
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "MAILBOX" || v.Kind != KVList {
		t.Fatalf("got %v named %q", v.Kind, v.Name)
	}
	if n, _ := v.GetNum("LAST_UID"); n != 3 {
		t.Errorf("LAST_UID = %d", n)
	}
	rest, _ := io.ReadAll(d.Reader().(io.Reader))
	if string(rest) != "\r\nNEXT\r\n" {
		t.Errorf("rest = %q", rest)
	}
	if len(hooks) != 0 {
		t.Errorf("literal hook called: %v", hooks)
	}

	d = NewDecoder(strings.NewReader("({5}\r\nhello {2+}\r\nhi)"))
	var sync []bool
	d.LiteralHook = func(n int64, nonSync bool) error { sync = append(sync, nonSync); return nil }
	if _, err := d.Decode(false); err != nil {
		t.Fatal(err)
	}
	if len(sync) != 2 || sync[0] || !sync[1] {
		t.Errorf("literal hook calls = %v", sync)
	}
}

func TestFileForm(t *testing.T) {
	dir := t.TempDir()
	msg := []byte("Subject: x\r\n\r\nbody\r\n")
	guid := sha1.Sum(msg)
	path := filepath.Join(dir, "msg")
	if err := os.WriteFile(path, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	kv := NewKVList()
	kv.Add("MESSAGE", NewFile("default", guid, uint64(len(msg)), path))
	wire := kv.Bytes()
	want := "%(MESSAGE %{default " + NewGUID(guid).String() + " 20}\r\n" + string(msg) + ")"
	if string(wire) != want {
		t.Fatalf("encoded %q\nwant    %q", wire, want)
	}

	// Parse it back through a hook that stores the body.
	d := NewDecoder(bytes.NewReader(append(wire, "\r\n"...)))
	var stored []byte
	d.FileHook = func(part string, g [20]byte, size uint64, body io.Reader) (string, error) {
		if part != "default" || g != guid || size != uint64(len(msg)) {
			t.Errorf("hook got %q %x %d", part, g, size)
		}
		b, err := io.ReadAll(body)
		stored = b
		return "/stored/here", err
	}
	v, err := d.Decode(false)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := v.GetFile("MESSAGE")
	if !ok || f.Str != "/stored/here" || f.Num != uint64(len(msg)) || f.Partition != "default" {
		t.Fatalf("file value %+v", f)
	}
	if !bytes.Equal(stored, msg) {
		t.Errorf("stored %q", stored)
	}

	// A hook that reads nothing and fails: the body is still skipped.
	d = NewDecoder(bytes.NewReader(append(wire, " tail"...)))
	d.FileHook = func(string, [20]byte, uint64, io.Reader) (string, error) { return "", errors.New("disk full") }
	if _, err := d.Decode(false); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	rest, _ := io.ReadAll(d.Reader().(io.Reader))
	if string(rest) != ")"+" tail" {
		t.Errorf("rest after failed hook = %q", rest)
	}

	// Without a hook the form is refused.
	if _, err := Parse(wire); !errors.Is(err, ErrNoFileHook) {
		t.Errorf("no hook: %v", err)
	}

	// A file whose content changed prints NIL, as Cyrus does.
	if err := os.WriteFile(path, []byte("Subject: y\r\n\r\nbody\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var ferr error
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.OnFileError = func(_ *Value, err error) { ferr = err }
	if err := e.Encode(kv, false); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "%(MESSAGE NIL)" || ferr == nil {
		t.Errorf("changed file: %q %v", buf.String(), ferr)
	}
}

func TestPutRemove(t *testing.T) {
	kv := NewKVList()
	kv.AddString("A", "1")
	kv.AddString("B", "2")
	kv.Put("A", NewNum(3))
	kv.Put("C", NewNil())
	if got := string(kv.Bytes()); got != "%(A 3 B 2 C NIL)" {
		t.Errorf("after Put: %s", got)
	}
	if !kv.Remove("B") || kv.Remove("B") {
		t.Errorf("Remove")
	}
	if got := string(kv.Bytes()); got != "%(A 3 C NIL)" {
		t.Errorf("after Remove: %s", got)
	}
}

func BenchmarkParseMailboxesRecord(b *testing.B) {
	in := []byte(cyrusVectors[1])
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrintMailboxesRecord(b *testing.B) {
	v, _ := Parse([]byte(cyrusVectors[1]))
	var buf []byte
	for b.Loop() {
		buf = Append(buf[:0], v, false)
	}
}
