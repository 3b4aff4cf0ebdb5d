package search_test

// A regression net for lib/search's speed work: ~1,000 SEARCH, SORT and
// THREAD runs over 240 generated messages (every charset path, transfer
// encoding, MIME structure, RFC 2047 header form, threads, bodies across
// the 4096/32768/65536-byte boundaries), under four sets of search
// flags, compared with regress_golden.txt. The golden file was written by
// lib/search as it was before the speed work (commit "test/search:
// regression golden"), which answered the 241 commands of golden.txt as
// Cyrus 3.6.1 does; any change of answer here is a change of behaviour.
//
//	GYRUS_SEARCH_REGRESS_RECORD=1 go test -run TestRegressGolden ./test/search
//
// rewrites the golden file (only when a change of answer is intended).

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"

	"gyrus/lib/charset"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
	"gyrus/lib/search"
)

const regressN = 240

// regressWords are put in bodies, subjects, names and headers, and
// searched for.
var regressWords = []string{
	"needle", "Café", "cafe", "CAFÉ", "Cafe\u0301", "straße", "STRASSE", "ﬁle", "file",
	"naïve", "Ελληνικά", "日本語", "quick  brown", "quick\tbrown", "zebra", "Zebra", "résumé",
	"=?utf-8?q?caf=C3=A9?=", "Приве́т", "ǅemal", "ﬀ", "x\u00a0y",
}

var regressCharsets = []string{"utf-8", "us-ascii", "iso-8859-1", "windows-1252", "koi8-r",
	"shift_jis", "iso-2022-jp", "x-unknown", "", "utf-8", "utf-8"}

// encode puts UTF-8 text in a charset (unsupported characters replaced).
func encode(s, cs string) []byte {
	switch cs {
	case "utf-8", "", "x-unknown":
		return []byte(s)
	case "us-ascii":
		var b []byte
		for _, r := range s {
			if r < 0x80 {
				b = append(b, byte(r))
			} else {
				b = append(b, '?')
			}
		}
		return b
	}
	enc, err := htmlindex.Get(cs)
	if err != nil {
		panic(err)
	}
	b, err := encoding.ReplaceUnsupported(enc.NewEncoder()).Bytes([]byte(s))
	if err != nil {
		return []byte(s)
	}
	return b
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// regressText is n bytes or so of text with words sprinkled in.
func regressText(r *rand.Rand, n int) string {
	var b strings.Builder
	filler := []string{"lorem ", "ipsum ", "dolor ", "sit ", "amet ", "\r\n", "  ", "\t", "the quick brown fox ", "ÀÉÎõü ", "ǆ ", "ﬆ "}
	for b.Len() < n {
		if r.IntN(12) == 0 {
			b.WriteString(pick(r, regressWords))
			b.WriteString(" ")
		} else {
			b.WriteString(pick(r, filler))
		}
	}
	return b.String()
}

// header2047 writes s as a header value: raw, raw 8-bit, or encoded
// words (B or Q, in one of a few charsets, possibly split).
func header2047(r *rand.Rand, s string) string {
	switch r.IntN(6) {
	case 0:
		return s
	case 1:
		return "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
	case 2:
		var b strings.Builder
		b.WriteString("=?iso-8859-1?q?")
		for _, c := range encode(s, "iso-8859-1") {
			if c < 0x80 && c > ' ' && c != '?' && c != '=' && c != '_' {
				b.WriteByte(c)
			} else if c == ' ' {
				b.WriteByte('_')
			} else {
				fmt.Fprintf(&b, "=%02X", c)
			}
		}
		return b.String() + "?="
	case 3:
		h := len(s) / 2
		for h > 0 && h < len(s) && s[h]&0xc0 == 0x80 {
			h++
		}
		return "=?utf-8?q?" + qpWord(s[:h]) + "?= \r\n =?utf-8?q?" + qpWord(s[h:]) + "?= tail"
	case 4:
		return "=?x-nope?q?" + qpWord(s) + "?= plain " + s
	}
	return "=?koi8-r?b?" + base64.StdEncoding.EncodeToString(encode(s, "koi8-r")) + "?="
}

func qpWord(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c < 0x80 && c > ' ' && c != '?' && c != '=' && c != '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String()
}

// textPart is a text part's header lines and encoded body.
func textPart(r *rand.Rand, sub string, n int) (string, []byte) {
	cs := pick(r, regressCharsets)
	ct := "text/" + sub
	if cs != "" {
		ct += "; charset=" + cs
	}
	body := encode(regressText(r, n), cs)
	if r.IntN(9) == 0 {
		body = append(body, 0, 'n', 'u', 'l', ' ', 'n', 'e', 'e', 'd', 'l', 'e')
	}
	h := "Content-Type: " + ct + "\r\n"
	switch r.IntN(5) {
	case 0:
		var b bytes.Buffer
		w := quotedprintable.NewWriter(&b)
		w.Write(body)
		w.Close()
		body = bytes.ReplaceAll(b.Bytes(), []byte("\r\n"), []byte("\n"))
		body = bytes.ReplaceAll(body, []byte("\n"), []byte("\r\n"))
		if r.IntN(3) == 0 {
			body = append(body, "tail without newline needle"...)
		}
		h += "Content-Transfer-Encoding: quoted-printable\r\n"
	case 1:
		e := base64.StdEncoding.EncodeToString(body)
		var b strings.Builder
		for len(e) > 76 {
			b.WriteString(e[:76] + "\r\n")
			e = e[76:]
		}
		b.WriteString(e + "\r\n")
		body = []byte(b.String())
		h += "Content-Transfer-Encoding: base64\r\n"
	case 2:
		h += "Content-Transfer-Encoding: 8bit\r\n"
	case 3:
		h += "Content-Transfer-Encoding: x-weird\r\n"
	}
	return h, body
}

// regressMessage is generated message i.
func regressMessage(i int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	var b bytes.Buffer
	w := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	name := pick(r, regressWords)
	switch r.IntN(8) {
	case 0:
	case 1:
		w("From", "undisclosed-recipients:;")
	case 2:
		w("From", fmt.Sprintf("%s <p%d@example.com>, other <o%d@example.net>", header2047(r, name), i, i))
	default:
		w("From", fmt.Sprintf("%s <p%d@Example.COM>", header2047(r, name), i%37))
	}
	if r.IntN(4) > 0 {
		w("To", fmt.Sprintf("\"%s\" <t%d@example.org>", pick(r, regressWords), i%11))
	}
	if r.IntN(3) == 0 {
		w("Cc", fmt.Sprintf("c%d@example.org, group: g%d@example.org;", i%5, i%7))
	}
	if r.IntN(5) == 0 {
		w("Bcc", fmt.Sprintf("%s <b%d@example.org>", header2047(r, pick(r, regressWords)), i%3))
	}
	subj := fmt.Sprintf("%s %s %d", pick(r, []string{"", "Re: ", "RE: re: ", "Fwd: ", "[list] Re: ", "Re[2]: "}), pick(r, regressWords), i%17)
	if r.IntN(10) > 0 {
		w("Subject", header2047(r, subj))
	}
	if r.IntN(10) > 0 {
		d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(400*24)) * time.Hour)
		w("Date", d.In(time.FixedZone("", (r.IntN(25)-12)*3600)).Format(time.RFC1123Z))
	} else if r.IntN(2) == 0 {
		w("Date", "not a date")
	}
	if r.IntN(12) > 0 {
		w("Message-ID", fmt.Sprintf("<%d.%d@example.com>", i%200, r.IntN(3)))
	}
	if i > 0 && r.IntN(2) == 0 {
		p := r.IntN(i)
		w("In-Reply-To", fmt.Sprintf("<%d.0@example.com>", p))
		if r.IntN(2) == 0 {
			w("References", fmt.Sprintf("<%d.0@example.com>\r\n\t<%d.1@example.com> <%d.0@example.com>", r.IntN(i), p, p))
		}
	}
	if r.IntN(3) == 0 {
		w("X-Foo", header2047(r, pick(r, regressWords))+"\r\n continued "+pick(r, regressWords))
	}
	if r.IntN(4) == 0 {
		w("X-Spam-score", fmt.Sprintf("%d.%d", r.IntN(10), r.IntN(10)))
	}
	if r.IntN(4) == 0 {
		w("List-Id", fmt.Sprintf("List %d <list%d.example.com>", i%3, i%3))
	}
	if r.IntN(5) == 0 {
		w("X-Original-Delivered-To", fmt.Sprintf("d%d@example.com", i%4))
	}
	if r.IntN(5) == 0 {
		w("X-Delivered-To", fmt.Sprintf("e%d@example.com", i%4))
	}
	for k := r.IntN(4); k > 0; k-- {
		w("Received", fmt.Sprintf("from host%d by mx%d with %s", k, i%3, pick(r, regressWords)))
	}
	if r.IntN(6) == 0 {
		w("X-Mailer", pick(r, regressWords))
	}
	w("MIME-Version", "1.0")
	sizes := []int{200, 2000, 4090, 4100, 8200, 33000, 70000}
	switch r.IntN(6) {
	case 0, 1, 2:
		h, body := textPart(r, pick(r, []string{"plain", "plain", "html"}), pick(r, sizes))
		b.WriteString(h + "\r\n")
		b.Write(body)
	case 3:
		b.WriteString("Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\npreamble needle\r\n")
		for _, sub := range []string{"plain", "html"} {
			h, body := textPart(r, sub, pick(r, sizes[:4]))
			b.WriteString("--alt\r\n" + h + "\r\n")
			b.Write(body)
			b.WriteString("\r\n")
		}
		b.WriteString("--alt--\r\n")
	case 4:
		b.WriteString("Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\n")
		h, body := textPart(r, "plain", pick(r, sizes[:4]))
		b.WriteString(h + "X-Part: " + pick(r, regressWords) + "\r\n\r\n")
		b.Write(body)
		b.WriteString("\r\n--mix\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		b.WriteString(base64.StdEncoding.EncodeToString([]byte("needle zebra café "+regressText(r, 300))) + "\r\n--mix--\r\n")
	default:
		b.WriteString("Content-Type: multipart/mixed; boundary=\"out\"\r\n\r\n--out\r\nContent-Type: text/plain\r\n\r\nsee below\r\n")
		b.WriteString("--out\r\nContent-Type: message/rfc822\r\n\r\n")
		fmt.Fprintf(&b, "From: %s <inner@example.com>\r\nSubject: %s\r\nX-Foo: inner %s\r\n", header2047(r, pick(r, regressWords)),
			header2047(r, pick(r, regressWords)), pick(r, regressWords))
		h, body := textPart(r, "plain", pick(r, sizes[:5]))
		b.WriteString(h + "\r\n")
		b.Write(body)
		b.WriteString("\r\n--out--\r\n")
	}
	return b.Bytes()
}

// buildRegress appends the generated messages with internal dates,
// sizes and flags that vary.
func buildRegress(t testing.TB) *mailbox.View {
	root := t.TempDir()
	sp := filepath.Join(root, "spool", "inbox")
	loc := mailbox.Location{Name: "user.alice", UniqueID: "id-regress", Partition: "default",
		Dir: sp, MetaDir: sp, StageDir: filepath.Join(root, "spool", "stage."), Owner: "alice"}
	mb, err := mailbox.Create(loc, mailbox.CreateOptions{ACL: "alice\tlrswipkxtecdan\t"}, mailbox.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	sysFlags := []uint32{0, index.FlagSeen, index.FlagSeen | index.FlagAnswered, index.FlagFlagged, index.FlagDeleted, index.FlagDraft, 0}
	for i := 0; i < regressN; i++ {
		st, err := mailbox.Stage(loc.StageDir, bytes.NewReader(regressMessage(i)))
		if err != nil {
			t.Fatal(err)
		}
		mi, err := st.Parse(message.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		var user []string
		if i%4 == 1 {
			user = append(user, "$Label1")
		}
		if i%9 == 2 {
			user = append(user, "Work")
		}
		ub, err := tx.UserFlagBits(user, mailbox.FlagCreateClient)
		if err != nil {
			t.Fatal(err)
		}
		nm := &mailbox.NewMessage{Staged: st, Info: mi, InternalDate: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i*37%240) * 24 * time.Hour),
			SystemFlags: sysFlags[i%len(sysFlags)], UserFlags: ub}
		if _, err := tx.Append(nm); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	v, err := mb.NewView()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// regressCommands lists the commands: string keys × words, then the
// other keys, combinations, SORT and THREAD.
func regressCommands() []string {
	var cmds []string
	keys := []string{"BODY", "TEXT", "SUBJECT", "FROM", "TO", "CC", "BCC", "HEADER X-Foo", "HEADER Subject",
		"HEADER Received", "HEADER List-Id", "HEADER Message-ID", "HEADER References", "HEADER X-Mailer",
		"HEADER X-Part", "XLISTID", "DELIVEREDTO", "XCONTENTTYPE"}
	words := append([]string{"", "e", " ", "NEEDLE", "o c", "p1", "example.com", "<3.0@", "text/html", "plain", "list1", "d1@"}, regressWords...)
	for _, k := range keys {
		for _, w := range words {
			cmds = append(cmds, "SEARCH CHARSET UTF-8 "+k+" «"+w+"»")
		}
	}
	for _, w := range []string{"café", "CAFÉ", "straße", "naïve"} {
		cmds = append(cmds, "SEARCH CHARSET ISO-8859-1 BODY «iso-8859-1:"+w+"»", "SEARCH CHARSET ISO-8859-1 SUBJECT «iso-8859-1:"+w+"»")
	}
	cmds = append(cmds, "SEARCH BODY «Café»", "SEARCH TEXT caf", "SEARCH CHARSET KOI8-R TEXT «koi8-r:Привет»")
	cmds = append(cmds,
		"SEARCH ALL", "SEARCH SEEN", "SEARCH UNSEEN", "SEARCH ANSWERED", "SEARCH DELETED", "SEARCH UNDELETED",
		"SEARCH FLAGGED", "SEARCH DRAFT", "SEARCH KEYWORD $Label1", "SEARCH UNKEYWORD Work", "SEARCH KEYWORD work",
		"SEARCH LARGER 5000", "SEARCH SMALLER 3000", "SEARCH UNSEEN LARGER 100", "SEARCH 10:20,50,*",
		"UID SEARCH UID 5:40", "SEARCH BEFORE 1-Mar-2020", "SEARCH ON 7-Feb-2020", "SEARCH SINCE 1-Jun-2020",
		"SEARCH SENTBEFORE 1-Mar-2020", "SEARCH SENTON 15-Mar-2020", "SEARCH SENTSINCE 1-Jun-2020",
		"SEARCH SPAMABOVE 4.5", "SEARCH SPAMBELOW 3", "SEARCH MODSEQ 100",
		"SEARCH NOT BODY needle", "SEARCH OR BODY needle SUBJECT zebra", "SEARCH OR FROM p1 NOT TO t3",
		"SEARCH NOT OR SEEN TEXT needle", "SEARCH UNSEEN TEXT needle LARGER 4000",
		"SEARCH OR OR HEADER X-Foo zebra BODY Zebra CC g3@", "SEARCH NOT NOT SUBJECT re",
		"SEARCH DELETED OR BODY file TEXT FILE", "SEARCH CHARSET UTF-8 OR BODY «ﬁle» HEADER X-Foo «Ελληνικά»",
		"SEARCH TEXT needle BODY needle SUBJECT needle FROM needle")
	for _, k := range []string{"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO", "MODSEQ", "UID", "SPAMSCORE"} {
		cmds = append(cmds, "SORT ("+k+") UTF-8 ALL", "SORT (REVERSE "+k+") UTF-8 ALL")
	}
	cmds = append(cmds, "SORT (SUBJECT DATE) UTF-8 UNSEEN", "SORT (FROM REVERSE DATE) UTF-8 BODY needle",
		"UID SORT (TO CC SIZE) UTF-8 ALL")
	for _, a := range []string{"REFERENCES", "ORDEREDSUBJECT", "REFS"} {
		cmds = append(cmds, "THREAD "+a+" UTF-8 ALL", "UID THREAD "+a+" UTF-8 TEXT needle")
	}
	return cmds
}

// regressOptions are the search flag settings each command runs under
// (imapd.conf search_skipdiacrit, search_whitespace, rfc2047_utf8).
var regressOptions = []struct {
	name  string
	flags charset.Flags
}{
	{"default", charset.DefaultFlags},
	{"keepdiacrit-keepspace", 0},
	{"skipspace", charset.SkipDiacrit | charset.SkipSpace},
	{"utf8", charset.DefaultFlags | charset.MIMEUTF8},
}

func TestRegressGolden(t *testing.T) {
	v := buildRegress(t)
	var out bytes.Buffer
	for _, o := range regressOptions {
		opt := &search.Options{Location: time.UTC, Now: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
			Flags: o.flags, FlagsSet: true, Recent: func(seq, uid uint32) bool { return uid%5 == 0 }}
		for _, c := range regressCommands() {
			lines, st := run(t, v, expand(t, c), opt)
			fmt.Fprintf(&out, "> %s %s\n", o.name, strings.NewReplacer("\t", `\t`, "\u00a0", `\u00a0`).Replace(c))
			for _, l := range lines {
				fmt.Fprintln(&out, l)
			}
			fmt.Fprintf(&out, "< %s\n", st)
		}
	}
	const golden = "regress_golden.txt"
	if os.Getenv("GYRUS_SEARCH_REGRESS_RECORD") != "" {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", golden)
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(out.String(), "\n")
	exp := strings.Split(string(want), "\n")
	if len(got) != len(exp) {
		t.Errorf("%d answer lines, golden has %d", len(got), len(exp))
	}
	cmd, bad := "", 0
	for i := 0; i < min(len(got), len(exp)); i++ {
		if strings.HasPrefix(exp[i], "> ") {
			cmd = exp[i]
		}
		if got[i] != exp[i] {
			if bad++; bad <= 10 {
				t.Errorf("after %q:\n  golden: %.300s\n  now:    %.300s", cmd, exp[i], got[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d lines differ from %s", bad, golden)
	}
	if t.Failed() {
		return
	}
	t.Logf("%d runs answered as before", strings.Count("\n"+string(want), "\n< "))
}
