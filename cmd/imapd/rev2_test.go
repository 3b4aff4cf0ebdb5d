package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// withoutAdded drops from a capability list the names that
// test/imap/differences.txt lists as "capability NAME": capabilities
// Gyrus offers on purpose beyond Cyrus 3.6.1 (IMAP4rev2, UTF8=ACCEPT).
func withoutAdded(t *testing.T, list string) string {
	t.Helper()
	data, err := os.ReadFile("../../test/imap/differences.txt")
	if err != nil {
		t.Fatal(err)
	}
	added := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && f[0] == "capability" && f[2] == "--" {
			added[f[1]] = true
		}
	}
	var out []string
	for _, w := range strings.Fields(list) {
		if !added[w] {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// utf8Conf is the configuration under which UTF8=ACCEPT is offered.
var utf8Conf = map[string]string{"munge8bit": "no", "reject8bit": "no"}

// newRev2Server is newTestServer with INBOXes created at login.
func newRev2Server(t *testing.T, extra map[string]string) *Server {
	m := map[string]string{"autocreate_quota": "0"}
	for k, v := range extra {
		m[k] = v
	}
	return newTestServer(t, m)
}

func hasLine(lines []string, want string) bool { return slices.Contains(lines, want) }

func hasPrefix(lines []string, p string) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, p) })
}

// TestRev2Capabilities: IMAP4rev2 follows IMAP4rev1 in every list (as
// Cyrus's later releases print it); UTF8=ACCEPT only after login and only
// with munge8bit and reject8bit off.
func TestRev2Capabilities(t *testing.T) {
	for _, tc := range []struct {
		conf map[string]string
		utf8 bool
	}{
		{nil, false},
		{utf8Conf, true},
		{map[string]string{"munge8bit": "no", "reject8bit": "yes"}, false},
	} {
		pc := startPipe(t, newTestServer(t, tc.conf))
		g := capsOf(t, pc.line())
		if !strings.HasPrefix(g, "IMAP4rev1 IMAP4rev2 ") {
			t.Errorf("greeting: %s", g)
		}
		if strings.Contains(g, "UTF8=ACCEPT") {
			t.Errorf("UTF8=ACCEPT before login: %s", g)
		}
		_, st := pc.cmd("a1", "LOGIN alice secret")
		post := strings.Fields(capsOf(t, st))
		if post[0] != "IMAP4rev1" || post[1] != "IMAP4rev2" {
			t.Errorf("after login: %v", post[:2])
		}
		if got := slices.Contains(post, "UTF8=ACCEPT"); got != tc.utf8 {
			t.Errorf("conf %v: UTF8=ACCEPT offered %v, want %v", tc.conf, got, tc.utf8)
		}
		u, _ := pc.cmd("a2", "ENABLE UTF8=ACCEPT")
		if got := hasLine(u, "* ENABLED UTF8=ACCEPT"); got != tc.utf8 {
			t.Errorf("conf %v: ENABLE UTF8=ACCEPT answered %q", tc.conf, u)
		}
	}
}

// rev2Session logs alice in, puts two messages into INBOX (the second
// \Seen) and enables IMAP4rev2 when rev2.
func rev2Session(t *testing.T, srv *Server, rev2 bool) *pipeClient {
	t.Helper()
	pc := startPipe(t, srv)
	pc.line()
	pc.ok("l", "LOGIN alice secret")
	if rev2 {
		u := pc.ok("e", "ENABLE IMAP4rev2")
		if !hasLine(u, "* ENABLED IMAP4rev2") {
			t.Fatalf("ENABLE IMAP4rev2: %q", u)
		}
	}
	return pc
}

func appendMsg(pc *pipeClient, tag, mbox, flags, msg string) {
	pc.t.Helper()
	pc.ok(tag, fmt.Sprintf("APPEND %s %s {%d+}\r\n%s", mbox, flags, len(msg), msg))
}

const (
	msg1 = "From: a@example.com\r\nSubject: first\r\n\r\nhello\r\n"
	msg2 = "From: b@example.com\r\nSubject: second\r\n\r\nworld\r\n"
)

// TestRev2Select: RFC 9051 6.3.2 (SELECT) and Appendix E: no RECENT, no
// UNSEEN code, a LIST response; FETCH FLAGS without \Recent. The same
// steps on a rev1 session keep Cyrus 3.6.1's answers.
func TestRev2Select(t *testing.T) {
	srv := newRev2Server(t, nil)
	setup := rev2Session(t, srv, false)
	appendMsg(setup, "p1", "INBOX", "()", msg1)
	appendMsg(setup, "p2", "INBOX", `(\Seen)`, msg2)
	setup.ok("p3", "CREATE INBOX/Sub")

	v1 := rev2Session(t, srv, false)
	u := v1.ok("s", "EXAMINE INBOX")
	if !hasLine(u, "* 2 RECENT") || !hasLine(u, "* OK [UNSEEN 1] Ok") || hasPrefix(u, "* LIST") {
		t.Errorf("rev1 EXAMINE: %q", u)
	}

	pc := rev2Session(t, srv, true)
	u = pc.ok("s", "SELECT INBOX")
	for _, l := range u {
		if strings.Contains(l, "RECENT") || strings.Contains(l, "UNSEEN") || strings.Contains(l, `\Recent`) {
			t.Errorf("rev2 SELECT: %q", l)
		}
	}
	list := pc.ok("l", `LIST "" INBOX`)
	if !hasLine(u, "* 2 EXISTS") || len(list) != 1 || !hasLine(u, list[0]) {
		t.Errorf("rev2 SELECT: %q, LIST answers %q", u, list)
	}
	u = pc.ok("f", "FETCH 1:2 FLAGS")
	if !hasLine(u, "* 1 FETCH (FLAGS ())") || !hasLine(u, `* 2 FETCH (FLAGS (\Seen))`) {
		t.Errorf("rev2 FETCH FLAGS: %q", u)
	}
	// SELECT of another mailbox: CLOSED first, then the LIST of it.
	u = pc.ok("s2", "SELECT INBOX/Sub")
	if len(u) == 0 || u[0] != "* OK [CLOSED] Ok" || !hasLine(u, `* LIST (\HasNoChildren) "/" INBOX/Sub`) {
		t.Errorf("rev2 second SELECT: %q", u)
	}
}

// TestRev2Search: RFC 9051 6.4.4: SEARCH answers ESEARCH with the tag
// correlator, ALL when no RETURN option is given, UID for UID SEARCH,
// nothing but the correlator for no match; explicit RETURN options as
// before (the RFC's "A282" example: MIN and COUNT).
func TestRev2Search(t *testing.T) {
	srv := newRev2Server(t, nil)
	pc := rev2Session(t, srv, true)
	appendMsg(pc, "p1", "INBOX", "()", msg1)
	appendMsg(pc, "p2", "INBOX", `(\Seen)`, msg2)
	appendMsg(pc, "p3", "INBOX", "()", msg1)
	pc.ok("s", "SELECT INBOX")
	for _, tc := range []struct{ cmd, want string }{
		{"SEARCH ALL", `* ESEARCH (TAG "x") ALL 1:3`},
		{"UID SEARCH UNSEEN", `* ESEARCH (TAG "x") UID ALL 1,3`},
		{"SEARCH SUBJECT nothing", `* ESEARCH (TAG "x")`},
		{"SEARCH RETURN (MIN COUNT) FROM a@example.com", `* ESEARCH (TAG "x") COUNT 2 MIN 1`},
		{"SEARCH CHARSET UTF-8 BODY world", `* ESEARCH (TAG "x") ALL 2`},
		{"SEARCH FUZZY SUBJECT first", `* ESEARCH (TAG "x")`}, // no search engine: nothing found
	} {
		u := pc.ok("x", tc.cmd)
		if len(u) != 1 || u[0] != tc.want {
			t.Errorf("%s: got %q, want %q", tc.cmd, u, tc.want)
		}
	}
	v1 := rev2Session(t, srv, false)
	v1.ok("s", "EXAMINE INBOX")
	if u := v1.ok("x", "SEARCH ALL"); len(u) != 1 || u[0] != "* SEARCH 1 2 3" {
		t.Errorf("rev1 SEARCH: %q", u)
	}
}

// TestRev2Status: STATUS DELETED (RFC 9051 6.3.11) is refused as by
// Cyrus 3.6.1 for rev1 and answered after ENABLE IMAP4rev2.
func TestRev2Status(t *testing.T) {
	srv := newRev2Server(t, nil)
	v1 := rev2Session(t, srv, false)
	appendMsg(v1, "p1", "INBOX", `(\Deleted)`, msg1)
	appendMsg(v1, "p2", "INBOX", "()", msg2)
	if _, st := v1.cmd("x", "STATUS INBOX (MESSAGES DELETED)"); !strings.HasPrefix(st, "x BAD") {
		t.Errorf("rev1 STATUS DELETED: %s", st)
	}
	pc := rev2Session(t, srv, true)
	u := pc.ok("x", "STATUS INBOX (MESSAGES DELETED SIZE)")
	want := fmt.Sprintf("* STATUS INBOX (MESSAGES 2 SIZE %d DELETED 1)", len(msg1)+len(msg2))
	if len(u) != 1 || u[0] != want {
		t.Errorf("rev2 STATUS: %q, want %q", u, want)
	}
}

// TestRev2UnsolicitedUID: RFC 9051 7.5.2: a flag change made by another
// session reaches a rev2 session with the UID.
func TestRev2UnsolicitedUID(t *testing.T) {
	srv := newRev2Server(t, nil)
	other := rev2Session(t, srv, false)
	appendMsg(other, "p1", "INBOX", "()", msg1)
	other.ok("s", "SELECT INBOX")
	pc := rev2Session(t, srv, true)
	pc.ok("s", "SELECT INBOX")
	other.ok("st", `STORE 1 +FLAGS.SILENT (\Flagged)`)
	u := pc.ok("n", "NOOP")
	if !hasLine(u, `* 1 FETCH (FLAGS (\Flagged) UID 1)`) {
		t.Errorf("rev2 NOOP after another session's STORE: %q", u)
	}
}

// TestRev2Names: mailbox names in UTF-8 (RFC 9051 5.1); a rev1 session
// sees the same mailbox in modified UTF-7 (RFC 3501 5.1.3's example
// "&U,BTFw-" is 台北). Plain LIST says \NonExistent for a mailbox that
// is only a parent (LIST-EXTENDED is part of IMAP4rev2).
func TestRev2Names(t *testing.T) {
	srv := newRev2Server(t, nil)
	pc := rev2Session(t, srv, true)
	pc.ok("c1", `CREATE "INBOX/台北"`)
	u := pc.ok("l", `LIST "" "INBOX/*"`)
	for _, want := range []string{`* LIST (\HasNoChildren) "/" "INBOX/台北"`} {
		if !hasLine(u, want) {
			t.Errorf("rev2 LIST: %q lacks %q", u, want)
		}
	}
	if u := pc.ok("s", `STATUS "INBOX/台北" (MESSAGES)`); len(u) != 1 || u[0] != `* STATUS "INBOX/台北" (MESSAGES 0)` {
		t.Errorf("rev2 STATUS: %q", u)
	}
	pc.ok("sub", `SUBSCRIBE "INBOX/台北"`)
	if u := pc.ok("lsub", `LSUB "" "INBOX/*"`); !slices.Equal(u, []string{`* LSUB () "/" "INBOX/台北"`}) {
		t.Errorf("rev2 LSUB: %q", u)
	}
	if u := pc.ok("ls", `LIST (SUBSCRIBED) "" "INBOX/*" RETURN (CHILDREN)`); !slices.Equal(u, []string{`* LIST (\Subscribed \HasNoChildren) "/" "INBOX/台北"`}) {
		t.Errorf("rev2 LIST (SUBSCRIBED): %q", u)
	}
	// RFC 9051's APPEND has literal8 (BINARY), not RFC 6855's UTF8 item
	msg := "Subject: x\r\n\r\ny\r\n"
	pc.ok("a8", fmt.Sprintf("APPEND INBOX ~{%d+}\r\n%s", len(msg), msg))
	if _, st := pc.cmd("a9", fmt.Sprintf("APPEND INBOX UTF8 (~{%d+}\r\n%s)", len(msg), msg)); !strings.HasPrefix(st, "a9 BAD") {
		t.Errorf("rev2 APPEND UTF8 without UTF8=ACCEPT: %s", st)
	}
	v1 := rev2Session(t, srv, false)
	u = v1.ok("l", `LIST "" "INBOX/*"`)
	for _, want := range []string{`* LIST (\HasNoChildren) "/" INBOX/&U,BTFw-`} {
		if !hasLine(u, want) {
			t.Errorf("rev1 LIST: %q lacks %q", u, want)
		}
	}
}

// TestRev2Enable: RFC 9051 6.3.1: ENABLED is sent even when nothing new
// is enabled; UNAUTHENTICATE forgets it (RFC 8437).
func TestRev2Enable(t *testing.T) {
	srv := newRev2Server(t, nil)
	pc := startPipe(t, srv)
	pc.line()
	pc.ok("l", "LOGIN admin secret")
	if u := pc.ok("e1", "ENABLE IMAP4rev2 CONDSTORE"); !hasLine(u, "* ENABLED IMAP4rev2 CONDSTORE") {
		t.Errorf("ENABLE: %q", u)
	}
	if u := pc.ok("e2", "ENABLE IMAP4rev2"); !hasLine(u, "* ENABLED") {
		t.Errorf("second ENABLE: %q", u)
	}
	pc.ok("u", "UNAUTHENTICATE")
	pc.ok("l2", "LOGIN alice secret")
	if _, st := pc.cmd("x", "STATUS INBOX (DELETED)"); !strings.HasPrefix(st, "x BAD") {
		t.Errorf("STATUS DELETED after UNAUTHENTICATE: %s", st)
	}
	if u := pc.ok("e3", "ENABLE CONDSTORE"); !hasLine(u, "* ENABLED CONDSTORE") {
		t.Errorf("ENABLE after UNAUTHENTICATE: %q", u)
	}
	// a rev1 session that enables nothing new hears nothing (Cyrus 3.6.1)
	if u := pc.ok("e4", "ENABLE CONDSTORE"); len(u) != 0 {
		t.Errorf("rev1 ENABLE of nothing new: %q", u)
	}
}

// TestUTF8Accept: RFC 6855: after ENABLE UTF8=ACCEPT, UTF-8 names both
// ways, APPEND with the UTF8 data item (section 4), SEARCH with a
// CHARSET other than UTF-8 refused (section 3). Before ENABLE, APPEND
// UTF8 is a syntax error.
func TestUTF8Accept(t *testing.T) {
	conf := map[string]string{"rfc2047_utf8": "yes"}
	maps.Copy(conf, utf8Conf)
	srv := newRev2Server(t, conf)
	pc := startPipe(t, srv)
	pc.line()
	pc.ok("l", "LOGIN alice secret")
	body := "From: José <jose@example.com>\r\nSubject: Grüße\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nÄpfel\r\n"
	utf8Append := fmt.Sprintf("APPEND INBOX UTF8 (~{%d+}\r\n%s)", len(body), body)
	if _, st := pc.cmd("a0", utf8Append); !strings.HasPrefix(st, "a0 BAD") {
		t.Errorf("APPEND UTF8 before ENABLE: %s", st)
	}
	if u := pc.ok("e", "ENABLE UTF8=ACCEPT"); !hasLine(u, "* ENABLED UTF8=ACCEPT") {
		t.Fatalf("ENABLE: %q", u)
	}
	pc.ok("a1", utf8Append)
	pc.ok("c", `CREATE "Entwürfe"`)
	if u := pc.ok("l", `LIST "" "Entw*"`); !hasLine(u, `* LIST (\HasNoChildren) "/" "Entwürfe"`) {
		t.Errorf("LIST: %q", u)
	}
	pc.ok("s", "SELECT INBOX")
	if u := pc.ok("x0", "SEARCH CHARSET UTF-8 BODY Äpfel"); !hasLine(u, "* SEARCH 1") {
		t.Errorf("SEARCH CHARSET UTF-8: %q", u)
	}
	if u := pc.ok("x1", "SEARCH BODY Äpfel"); !hasLine(u, "* SEARCH 1") {
		t.Errorf("SEARCH UTF-8 without CHARSET: %q", u)
	}
	// raw 8-bit header text is searched as UTF-8 only with rfc2047_utf8
	// (lib/search, as Cyrus 3.6.1's charset_parse_mimeheader)
	if u := pc.ok("x3", "SEARCH SUBJECT Grüße"); !hasLine(u, "* SEARCH 1") {
		t.Errorf("SEARCH SUBJECT with 8-bit header: %q", u)
	}
	if _, st := pc.cmd("x2", "SEARCH CHARSET ISO-8859-1 SUBJECT x"); st != "x2 BAD Charset MUST be UTF-8 when using UTF8=ACCEPT" {
		t.Errorf("SEARCH CHARSET ISO-8859-1: %s", st)
	}
	u := pc.ok("f", "FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
	if len(u) == 0 || !strings.Contains(strings.Join(u, "\n"), "Subject: Grüße") {
		t.Errorf("stored header: %q", u)
	}
}

// TestRev2SearchRes: SEARCHRES (RFC 5182, part of IMAP4rev2): RETURN
// (SAVE) answers nothing, "$" then names the saved messages; a rev1
// session gets BAD for "$" as from Cyrus 3.6.1.
func TestRev2SearchRes(t *testing.T) {
	srv := newRev2Server(t, nil)
	v1 := rev2Session(t, srv, false)
	appendMsg(v1, "p1", "INBOX", "()", msg1)
	appendMsg(v1, "p2", "INBOX", `(\Flagged)`, msg2)
	appendMsg(v1, "p3", "INBOX", `(\Flagged)`, msg1)
	v1.ok("s", "SELECT INBOX")
	if _, st := v1.cmd("x", "FETCH $ UID"); !strings.HasPrefix(st, "x BAD") {
		t.Errorf("rev1 FETCH $: %s", st)
	}
	pc := rev2Session(t, srv, true)
	pc.ok("s", "SELECT INBOX")
	if u := pc.ok("A301", "SEARCH RETURN (SAVE) FLAGGED"); len(u) != 0 {
		t.Errorf("SEARCH RETURN (SAVE): %q", u)
	}
	u := pc.ok("A302", "FETCH $ (UID)")
	if !slices.Equal(u, []string{"* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)"}) {
		t.Errorf("FETCH $: %q", u)
	}
	if u := pc.ok("A303", "UID SEARCH UID $ NOT FROM b@example.com"); !slices.Equal(u, []string{`* ESEARCH (TAG "A303") UID ALL 3`}) {
		t.Errorf("UID SEARCH UID $: %q", u)
	}
}

// TestUTF8NamesNormalized: RFC 6855 3: a name in decomposed form reaches
// the mailbox created in composed form; a name with a control character
// or a line separator is refused.
func TestUTF8NamesNormalized(t *testing.T) {
	srv := newRev2Server(t, nil)
	pc := rev2Session(t, srv, true)
	pc.ok("c1", "CREATE \"Entw\u00fcrfe\"")
	// STATUS echoes the name as the client spelled it, as Cyrus does
	if u := pc.ok("s1", "STATUS \"Entwu\u0308rfe\" (MESSAGES)"); len(u) != 1 || !strings.HasSuffix(u[0], " (MESSAGES 0)") {
		t.Errorf("STATUS of the decomposed spelling: %q", u)
	}
	if u := pc.ok("l1", `LIST "" "Entw*"`); !slices.Equal(u, []string{"* LIST (\\HasNoChildren) \"/\" \"Entw\u00fcrfe\""}) {
		t.Errorf("LIST after CREATE: %q", u)
	}
	for _, name := range []string{"a\u2028b", "a\u0085b"} {
		if _, st := pc.cmd("c2", `CREATE "`+name+`"`); !strings.HasPrefix(st, "c2 NO") {
			t.Errorf("CREATE %q: %s", name, st)
		}
	}
}

// TestRev2OldName: RFC 9051 6.3.2, 6.3.4-6.3.6: a name given in a form
// other than NFC is accepted in its NFC form, and the answer carries a
// LIST response with OLDNAME, the name as given.
func TestRev2OldName(t *testing.T) {
	srv := newRev2Server(t, nil)
	pc := rev2Session(t, srv, true)
	const nfd, nfc = "Entwu\u0308rfe", "Entw\u00fcrfe"
	want := func(attrs, name, old string) string {
		return fmt.Sprintf(`* LIST (%s) "/" "%s" (OLDNAME ("%s"))`, attrs, name, old)
	}
	if u := pc.ok("c1", `CREATE "`+nfd+`"`); !slices.Equal(u, []string{want("", nfc, nfd)}) {
		t.Errorf("CREATE: %q", u)
	}
	u := pc.ok("s1", `SELECT "`+nfd+`"`)
	if !slices.Contains(u, want("", nfc, nfd)) {
		t.Errorf("SELECT: %q", u)
	}
	if u := pc.ok("s2", `EXAMINE "`+nfc+`"`); slices.ContainsFunc(u, func(l string) bool { return strings.Contains(l, "OLDNAME") }) {
		t.Errorf("EXAMINE of the NFC name: %q", u)
	}
	pc.ok("u", "UNSELECT")
	const nfd2, nfc2 = "Ablage/Re\u0301sume\u0301", "Ablage/R\u00e9sum\u00e9"
	u = pc.ok("r1", `RENAME "`+nfd+`" "`+nfd2+`"`)
	// after Cyrus's "* OK rename old new" progress line
	if len(u) != 3 || !strings.HasPrefix(u[0], "* OK rename ") || !slices.Equal(u[1:], []string{want(`\NonExistent`, nfc, nfd), want("", nfc2, nfd2)}) {
		t.Errorf("RENAME: %q", u)
	}
	if u := pc.ok("d1", `DELETE "`+nfd2+`"`); !slices.Equal(u, []string{want(`\NonExistent`, nfc2, nfd2)}) {
		t.Errorf("DELETE: %q", u)
	}
	// a rev1 session (names in modified UTF-7) never hears of it
	v1 := rev2Session(t, srv, false)
	if u := v1.ok("c1", "CREATE Plain"); len(u) != 0 {
		t.Errorf("rev1 CREATE: %q", u)
	}
}
