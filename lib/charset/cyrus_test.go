package charset

// Differential tests against Cyrus 3.6.1's own charset library
// (libcyrus from cyrus-common), through the helper
// test/search/cyruscharset. They skip when no C compiler or no libcyrus
// is installed (shared/oracle/cyrus-ref install provides it).

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	oracleOnce sync.Once
	oracleBin  string
	oracleErr  string
)

func cyrusCharset(t testing.TB) string {
	t.Helper()
	oracleOnce.Do(func() {
		cc, err := exec.LookPath("cc")
		if err != nil {
			oracleErr = "no C compiler: cannot build cyruscharset"
			return
		}
		l := "/usr/lib/x86_64-linux-gnu"
		libs := []string{l + "/libcyrus.so.0", l + "/libcyrus_min.so.0"}
		for _, p := range libs {
			if _, err := os.Stat(p); err != nil {
				oracleErr = p + " missing (cyrus-common not installed; shared/oracle/cyrus-ref install)"
				return
			}
		}
		dir, err := os.MkdirTemp("", "cyruscharset")
		if err != nil {
			oracleErr = err.Error()
			return
		}
		bin := filepath.Join(dir, "cyruscharset")
		args := append([]string{"-O2", "-o", bin, "../../test/search/cyruscharset/cyruscharset.c"}, libs...)
		if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
			oracleErr = fmt.Sprintf("cannot build cyruscharset: %v\n%s", err, out)
			return
		}
		oracleBin = bin
	})
	if oracleBin == "" {
		t.Skip(oracleErr)
	}
	return oracleBin
}

// askCyrus runs the helper with args on the inputs (one per line, hex)
// and returns its output lines.
func askCyrus(t testing.TB, inputs [][]byte, args ...string) []string {
	bin := cyrusCharset(t)
	var in bytes.Buffer
	for _, s := range inputs {
		in.WriteString(hex.EncodeToString(s))
		in.WriteByte('\n')
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cyruscharset %v: %v", args, err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != len(inputs) {
		t.Fatalf("cyruscharset %v: %d answers for %d inputs", args, len(lines), len(inputs))
	}
	return lines
}

// pieces are the building blocks of random test strings: ASCII, white
// space, combining marks, letters with tricky search forms, CJK, emoji,
// and broken UTF-8.
var pieces = []string{
	"a", "Z", "x", "0", " ", "  ", "\t", "\r\n", "\n", "\r", "=", "?", "_",
	"é", "E\u0301", "ß", "æ", "ǆ", "ǅ", "ﬁ", "ı", "İ", "ς", "σ", "Σ", "ἀ", "ά",
	"\u0301", "\u0344", "\u0340", "\u00a0", "\u2003", "\u3000", "\u2026", "…", "Å", "Å",
	"日本", "한국", "中文", "😀", "\U00030001", "\ufffd", "\u00a8", "\u1fed",
	"\x80", "\xc0\x80", "\xed\xa0\x80", "\xe0\x81\x81", "\xf4\x90\x80\x80", "\xc3", "\xff",
	"Ǣ", "ǣ", "\u0130", "\u2163", "①", "㍻", "ﾊ", "Ａ",
}

func randString(r *rand.Rand, n int) []byte {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(pieces[r.Intn(len(pieces))])
	}
	return []byte(b.String())
}

func TestSearchFormMatchesCyrus(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var inputs [][]byte
	for i := 0; i < 400; i++ {
		inputs = append(inputs, randString(r, 1+r.Intn(12)))
	}
	for _, flags := range []Flags{0, SkipDiacrit, MergeSpace, SkipDiacrit | MergeSpace, SkipSpace, KeepCase | MergeSpace, KeepCase, KeepCase | SkipSpace} {
		want := askCyrus(t, inputs, "conv", fmt.Sprint(int(flags)), "utf-8")
		for i, in := range inputs {
			got, err := Convert(in, "utf-8", flags)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != want[i] {
				t.Errorf("flags %d: Convert(%q) = %q, Cyrus %s", flags, in, got, want[i])
			}
		}
	}
}

func TestCharsetConvertMatchesCyrus(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	var inputs [][]byte
	for i := 0; i < 200; i++ {
		b := make([]byte, 1+r.Intn(20))
		for j := range b {
			if r.Intn(3) == 0 {
				b[j] = byte(0x20 + r.Intn(0x5f))
			} else {
				b[j] = byte(1 + r.Intn(255))
			}
		}
		inputs = append(inputs, b)
	}
	for _, cs := range []string{"us-ascii", "iso-8859-1", "ISO-8859-2", "iso-8859-15", "windows-1251", "windows-1252", "koi8-r", "koi8-u", "shift_jis", "gb2312", "gbk", "big5", "euc-kr"} {
		want := askCyrus(t, inputs, "conv", fmt.Sprint(int(DefaultFlags)), cs)
		for i, in := range inputs {
			got, err := Convert(in, cs, DefaultFlags)
			if err != nil {
				t.Fatalf("%s: %v", cs, err)
			}
			if hex.EncodeToString(got) != want[i] {
				t.Errorf("%s: Convert(%x) = %x, Cyrus %s", cs, in, got, want[i])
			}
		}
	}
}

// TestValidTextMatchesCyrus covers the charsets whose decoders (from
// golang.org/x/text) differ from ICU only on invalid input: valid text
// must come out the same.
func TestValidTextMatchesCyrus(t *testing.T) {
	type tc struct {
		cs     string
		inputs []string
	}
	cases := []tc{
		{"euc-jp", []string{"\xc6\xfc\xcb\xdc\xb8\xec ABC", "\xa4\xb3\xa4\xf3\xa4\xcb\xa4\xc1\xa4\xcf", "plain", "\x8e\xca\x8e\xdd"}},
		{"iso-2022-jp", []string{"\x1b$BF|K\\8l\x1b(B ABC", "abc \x1b$B$3$s$K$A$O\x1b(B def", "\x1b(Jyen\x1b(B"}},
		{"utf-16", []string{"\xfe\xff\x00A\x00b", "\x00A\x00\xe9", "\xff\xfeA\x00b\x00"}},
		{"utf-7", []string{"Hi Mom -+Jjo--!", "A+ImIDkQ.", "+ZeVnLIqe-", "1 +- 1 = 2"}},
	}
	for _, c := range cases {
		var inputs [][]byte
		for _, s := range c.inputs {
			inputs = append(inputs, []byte(s))
		}
		want := askCyrus(t, inputs, "conv", fmt.Sprint(int(DefaultFlags)), c.cs)
		for i, in := range inputs {
			got, err := Convert(in, c.cs, DefaultFlags)
			if err != nil {
				t.Fatalf("%s: %v", c.cs, err)
			}
			if hex.EncodeToString(got) != want[i] {
				t.Errorf("%s: Convert(%q) = %q, Cyrus %s", c.cs, in, got, want[i])
			}
		}
	}
}

// headerPieces build random header text around RFC 2047 words.
var headerPieces = []string{
	"Subject: ", "From: ", "\r\n", "\r\n ", "\r\n\t", " ", "  ", "abc", "Ünï", "\xe9", "=", "?", "=?", "?=",
	"=?utf-8?q?caf=C3=A9?=", "=?UTF-8?B?w6k=?=", "=?utf-8?b?w6nDqQ==?=", "=?iso-8859-1?q?caf=E9_au_lait?=",
	"=?ISO-8859-1?Q?=E9?=", "=?bogus?q?x?=", "=?utf-8?q?a?=", "=?utf-8?x?a?=", "=?utf-8*en?q?lang?=",
	"=?utf-8?b?4oCm?=", "=?utf-8?b?4o?=", "=?utf-8?b?CA?=", "=?utf-8?q?=E2=80?=", "=?utf-8?q?=A6?=",
	"=?koi8-r?b?8NLJ18XU?=", "=?iso-2022-jp?b?GyRCRnxLXDhsGyhC?=", "=?shift_jis?b?k/qWe4zq?=",
	"=?windows-1252?q?=80?=", "=?utf-8?q?=ZZ?=", "=?utf-8?q?a_b?=", "=?us-ascii?q?plain?=", "=??q?x?=",
}

func randHeader(r *rand.Rand) []byte {
	var b strings.Builder
	for i, n := 0, 1+r.Intn(8); i < n; i++ {
		b.WriteString(headerPieces[r.Intn(len(headerPieces))])
	}
	return []byte(b.String())
}

func TestMIMEHeaderMatchesCyrus(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	var inputs [][]byte
	for i := 0; i < 600; i++ {
		inputs = append(inputs, randHeader(r))
	}
	for _, flags := range []Flags{DefaultFlags, DefaultFlags | MIMEUTF8, 0} {
		want := askCyrus(t, inputs, "mimeheader", fmt.Sprint(int(flags)))
		for i, in := range inputs {
			c := &canon{flags: flags}
			mimeHeader(in, flags, c)
			if hex.EncodeToString(c.out) != want[i] {
				t.Errorf("flags %d: header %q: got %q, Cyrus %s", flags, in, c.out, want[i])
			}
		}
	}
}

func TestSearchHeaderMatchesCyrus(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	var inputs [][]byte
	for i := 0; i < 300; i++ {
		inputs = append(inputs, randHeader(r))
	}
	for _, pat := range []string{"CAFE", "E", "A B", " ", "SUBJECT: ", "", "\ufffd"} {
		p := NewPattern([]byte(pat))
		want := askCyrus(t, inputs, "searchheader", fmt.Sprint(int(DefaultFlags)), hex.EncodeToString([]byte(pat)))
		for i, in := range inputs {
			got := SearchHeader(p, in, DefaultFlags)
			if (want[i] == "1") != got {
				t.Errorf("pattern %q header %q: got %v, Cyrus %s", pat, in, got, want[i])
			}
		}
	}
}

func TestSearchBodyMatchesCyrus(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	type body struct {
		cs  string
		enc int
	}
	var inputs [][]byte
	for i := 0; i < 80; i++ {
		b := randString(r, 1+r.Intn(40))
		if r.Intn(4) == 0 {
			// long enough for Cyrus's ICU blocks
			b = append(bytes.Repeat([]byte("x y "), 1000+r.Intn(1200)), b...)
		}
		inputs = append(inputs, b)
	}
	qp := func(b []byte) []byte {
		var o []byte
		for i, c := range b {
			switch {
			case c == '\r' || c == '\n':
				o = append(o, c)
			case c == '=' || c >= 0x80 || r.Intn(5) == 0:
				o = append(o, fmt.Sprintf("=%02X", c)...)
			default:
				o = append(o, c)
			}
			if i%70 == 69 {
				o = append(o, "=\r\n"...)
			}
		}
		return o
	}
	b64 := func(b []byte) []byte {
		const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		var o []byte
		for i := 0; i < len(b); i += 3 {
			var v uint32
			n := 0
			for j := 0; j < 3; j++ {
				v <<= 8
				if i+j < len(b) {
					v |= uint32(b[i+j])
					n++
				}
			}
			for j := 0; j < 4; j++ {
				if j <= n {
					o = append(o, alpha[v>>(18-6*j)&63])
				} else {
					o = append(o, '=')
				}
			}
			if i%57 == 54 {
				o = append(o, "\r\n"...)
			}
		}
		return o
	}
	for _, bd := range []body{{"utf-8", 0}, {"utf-8", 1}, {"utf-8", 2}, {"us-ascii", 0}, {"iso-8859-1", 0}, {"iso-8859-1", 1}, {"windows-1251", 2}} {
		for _, pat := range []string{"E", "A B", "X Y X", "\u65e5\u672c", "ZZZ", ""} {
			var encoded [][]byte
			for _, in := range inputs {
				switch bd.enc {
				case 1:
					encoded = append(encoded, qp(in))
				case 2:
					encoded = append(encoded, b64(in))
				default:
					encoded = append(encoded, in)
				}
			}
			p := NewPattern([]byte(pat))
			want := askCyrus(t, encoded, "searchfile", fmt.Sprint(int(DefaultFlags)), bd.cs, fmt.Sprint(bd.enc), hex.EncodeToString([]byte(pat)))
			for i, in := range encoded {
				got, err := SearchBody(p, bytes.NewReader(in), bd.cs, bd.enc, DefaultFlags)
				if err != nil {
					t.Fatal(err)
				}
				if (want[i] == "1") != got {
					t.Errorf("%s/%d pattern %q body %.80q (%d bytes): got %v, Cyrus %s", bd.cs, bd.enc, pat, in, len(in), got, want[i])
				}
			}
		}
	}
}
