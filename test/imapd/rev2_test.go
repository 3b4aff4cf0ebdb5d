package imapd

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"gyrus/test/harness"
)

// IMAP4rev2 (RFC 9051) and UTF8=ACCEPT (RFC 6855) seen from the outside:
// raw lines built from the RFCs' own examples, and go-imap v2's
// imapclient, which speaks IMAP4rev2. The server runs with munge8bit and
// reject8bit off, the configuration under which UTF8=ACCEPT is offered.

// startRev2Server starts master with imapd and lmtpd, admin, alice and
// bob, and alice's and bob's INBOX.
func startRev2Server(t *testing.T) *server {
	t.Helper()
	for _, p := range []string{"imapd", "lmtpd", "saslpasswd2"} {
		if !harness.Have(t, p) {
			t.Skipf("cmd/%s does not build", p)
		}
	}
	conf := map[string]string{"admins": adminUser, "munge8bit": "no", "reject8bit": "no"}
	services := `SERVICES {
  imap cmd="imapd -C {conf}" listen="127.0.0.1:{port:imap}" prefork=1
  lmtp cmd="lmtpd -a -C {conf}" listen="127.0.0.1:{port:lmtp}" prefork=0
}
`
	in := harness.Start(t, harness.Options{IMAPDConf: conf, CyrusConf: services,
		Users: map[string]string{adminUser: adminPass, "alice": alicePass, "bob": bobPass}})
	s := &server{Instance: in}
	a := s.dialRaw(t, adminUser, adminPass)
	defer a.logout()
	for _, mb := range []string{"user.alice", "user.bob"} {
		a.ok(t, "CREATE "+mb)
	}
	return s
}

// tagged sends "tag cmd" and returns the untagged lines and the tagged
// status (without the tag), for the RFC examples' own tags.
func (rc *rawConn) tagged(t *testing.T, tag, cmd string) ([]string, string) {
	t.Helper()
	rc.w.WriteString(tag + " " + cmd + "\r\n")
	if err := rc.w.Flush(); err != nil {
		t.Fatal(err)
	}
	var u []string
	for {
		l, err := rc.line()
		if err != nil {
			t.Fatalf("%s %s: %v", tag, cmd, err)
		}
		if strings.HasPrefix(l, tag+" ") {
			return u, strings.TrimPrefix(l, tag+" ")
		}
		u = append(u, l)
	}
}

func (rc *rawConn) taggedOK(t *testing.T, tag, cmd string) []string {
	t.Helper()
	u, st := rc.tagged(t, tag, cmd)
	if !strings.HasPrefix(st, "OK") {
		t.Fatalf("%s %s: %s (%q)", tag, cmd, st, u)
	}
	return u
}

// rfcMessage is message n (1-based) of the mailbox the RFC 9051 6.4.4
// SEARCH examples run against, built so that their answers are the
// RFC's: \Flagged are 1, 2, 5, 10 and 11, but 1 has an internal date
// before 1 Feb 1994 and 5 is from Smith, which leaves 2, 10 and 11.
func rfcMessage(n int) (flags, date, msg string) {
	from := fmt.Sprintf("user%d@example.org", n)
	if n == 5 {
		from = "Smith <smith@example.org>"
	}
	day := time.Date(1995, 1, n, 10, 0, 0, 0, time.UTC)
	if n == 1 {
		day = time.Date(1993, 5, 1, 10, 0, 0, 0, time.UTC) // before the SINCE date
	}
	flags = "()"
	if n == 1 || n == 2 || n == 5 || n == 10 || n == 11 {
		flags = `(\Flagged)`
	}
	date = day.Format("02-Jan-2006 15:04:05 -0700")
	msg = fmt.Sprintf("From: %s\r\nSubject: message %d\r\nDate: %s\r\n\r\nbody %d\r\n",
		from, n, day.Format(time.RFC1123Z), n)
	return
}

// TestRev2RawRFCExamples plays RFC 9051's examples (ENABLE 6.3.1,
// SELECT 6.3.2, STATUS 6.3.11, SEARCH 6.4.4) on a session that enabled
// IMAP4rev2, and the same SELECT and SEARCH on one that did not, which
// keeps the IMAP4rev1 answers.
func TestRev2RawRFCExamples(t *testing.T) {
	s := startRev2Server(t)
	rc := s.dialRaw(t, "alice", alicePass)
	if !rc.caps["IMAP4REV2"] || !rc.caps["UTF8=ACCEPT"] {
		t.Fatalf("capabilities lack IMAP4rev2 or UTF8=ACCEPT: %v", rc.caps)
	}
	for n := 1; n <= 11; n++ {
		flags, date, msg := rfcMessage(n)
		rc.ok(t, fmt.Sprintf("APPEND INBOX %s \"%s\" {%d+}\r\n%s", flags, date, len(msg), msg))
	}

	// rev1 first: Cyrus 3.6.1's answers
	v1 := s.dialRaw(t, "alice", alicePass)
	u := v1.taggedOK(t, "A142", "EXAMINE INBOX")
	if !slices.Contains(u, "* 11 RECENT") || slices.ContainsFunc(u, func(l string) bool { return strings.HasPrefix(l, "* LIST") }) {
		t.Errorf("rev1 EXAMINE: %q", u)
	}
	if u := v1.taggedOK(t, "A283", `SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"`); !slices.Equal(u, []string{"* SEARCH 2 10 11"}) {
		t.Errorf("rev1 SEARCH: %q", u)
	}

	// RFC 9051 6.3.1
	if u := rc.taggedOK(t, "t1", "ENABLE IMAP4rev2"); !slices.Equal(u, []string{"* ENABLED IMAP4rev2"}) {
		t.Errorf("ENABLE: %q", u)
	}
	// RFC 9051 6.3.2: EXISTS, UIDVALIDITY, UIDNEXT, FLAGS, PERMANENTFLAGS
	// and a LIST of the mailbox; no RECENT, no UNSEEN
	u, st := rc.tagged(t, "A142", "SELECT INBOX")
	if !strings.HasPrefix(st, "OK [READ-WRITE]") {
		t.Errorf("SELECT: %s", st)
	}
	for _, want := range []string{"* 11 EXISTS", `* LIST (\HasNoChildren) "." INBOX`} {
		if !slices.Contains(u, want) {
			t.Errorf("SELECT lacks %q: %q", want, u)
		}
	}
	for _, p := range []string{"* OK [UIDVALIDITY ", "* OK [UIDNEXT 12]", "* FLAGS (", "* OK [PERMANENTFLAGS ("} {
		if !slices.ContainsFunc(u, func(l string) bool { return strings.HasPrefix(l, p) }) {
			t.Errorf("SELECT lacks %q: %q", p, u)
		}
	}
	for _, l := range u {
		if strings.Contains(l, "RECENT") || strings.Contains(l, "[UNSEEN") || strings.Contains(l, `\Recent`) {
			t.Errorf("SELECT after ENABLE IMAP4rev2: %q", l)
		}
	}
	// RFC 9051 6.4.4's examples (Cyrus prints COUNT before MIN)
	for _, tc := range []struct{ tag, cmd, want string }{
		{"A282", `SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"`, `* ESEARCH (TAG "A282") COUNT 3 MIN 2`},
		{"A283", `SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"`, `* ESEARCH (TAG "A283") ALL 2,10:11`},
		{"A284", `SEARCH TEXT "string not in mailbox"`, `* ESEARCH (TAG "A284")`},
		{"A285", `SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"`, `* ESEARCH (TAG "A285") ALL 2,10:11`},
		{"A286", `UID SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"`, `* ESEARCH (TAG "A286") UID ALL 2,10:11`},
	} {
		if u := rc.taggedOK(t, tc.tag, tc.cmd); !slices.Equal(u, []string{tc.want}) {
			t.Errorf("%s %s: %q, want %q", tc.tag, tc.cmd, u, tc.want)
		}
	}
	// FETCH FLAGS without \Recent; another session's STORE arrives with UID
	if u := rc.taggedOK(t, "f1", "FETCH 3 FLAGS"); !slices.Equal(u, []string{"* 3 FETCH (FLAGS ())"}) {
		t.Errorf("FETCH FLAGS: %q", u)
	}
	v1.ok(t, "SELECT INBOX")
	v1.ok(t, `STORE 4 +FLAGS.SILENT (\Deleted)`)
	if u := rc.taggedOK(t, "n1", "NOOP"); !slices.Contains(u, `* 4 FETCH (FLAGS (\Deleted) UID 4)`) {
		t.Errorf("NOOP after another session's STORE: %q", u)
	}
	// RFC 9051 6.3.11 STATUS, with DELETED and SIZE
	total := 0
	for n := 1; n <= 11; n++ {
		_, _, msg := rfcMessage(n)
		total += len(msg)
	}
	want := fmt.Sprintf("* STATUS INBOX (MESSAGES 11 UIDNEXT 12 SIZE %d DELETED 1)", total)
	if u := rc.taggedOK(t, "A042", "STATUS INBOX (UIDNEXT MESSAGES DELETED SIZE)"); !slices.Equal(u, []string{want}) {
		t.Errorf("STATUS: %q, want %q", u, want)
	}
	if _, st := v1.tagged(t, "A043", "STATUS INBOX (DELETED)"); !strings.HasPrefix(st, "BAD") {
		t.Errorf("rev1 STATUS DELETED: %s", st)
	}
	// SELECT of another mailbox: CLOSED, then its answers
	rc.taggedOK(t, "c1", `CREATE "INBOX.Entwürfe"`)
	u = rc.taggedOK(t, "s2", `SELECT "INBOX.Entwürfe"`)
	if len(u) == 0 || u[0] != "* OK [CLOSED] Ok" || !slices.Contains(u, `* LIST (\HasNoChildren) "." "INBOX.Entwürfe"`) {
		t.Errorf("second SELECT: %q", u)
	}
	// RFC 9051 6.3.2: the same name with a decomposed ü is accepted in
	// its NFC form and answered with OLDNAME
	u = rc.taggedOK(t, "s3", "EXAMINE \"INBOX.Entwu\u0308rfe\"")
	if !slices.Contains(u, "* LIST () \".\" \"INBOX.Entw\u00fcrfe\" (OLDNAME (\"INBOX.Entwu\u0308rfe\"))") {
		t.Errorf("EXAMINE of the decomposed spelling: %q", u)
	}
	// the rev1 session sees the name in modified UTF-7
	if u := v1.taggedOK(t, "l1", `LIST "" "INBOX.Entw*"`); !slices.Equal(u, []string{`* LIST (\HasNoChildren) "." INBOX.Entw&APw-rfe`}) {
		t.Errorf("rev1 LIST: %q", u)
	}
}

// TestUTF8AcceptRaw: RFC 6855 3 and 4 on the wire: APPEND with the UTF8
// data item is refused before ENABLE and stores the message unchanged
// after; names travel as UTF-8; a SEARCH CHARSET other than UTF-8 is BAD.
func TestUTF8AcceptRaw(t *testing.T) {
	s := startRev2Server(t)
	rc := s.dialRaw(t, "bob", bobPass)
	msg := "From: Jöran <joran@example.org>\r\nSubject: Grüße aus Köln\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSchöne Grüße\r\n"
	appendUTF8 := fmt.Sprintf("APPEND INBOX UTF8 (~{%d+}\r\n%s)", len(msg), msg)
	if _, st := rc.tagged(t, "a0", appendUTF8); !strings.HasPrefix(st, "BAD") {
		t.Errorf("APPEND UTF8 before ENABLE: %s", st)
	}
	if u := rc.taggedOK(t, "e1", "ENABLE UTF8=ACCEPT"); !slices.Equal(u, []string{"* ENABLED UTF8=ACCEPT"}) {
		t.Errorf("ENABLE UTF8=ACCEPT: %q", u)
	}
	rc.taggedOK(t, "a1", appendUTF8)
	rc.taggedOK(t, "c1", `CREATE "INBOX.日本語"`)
	if u := rc.taggedOK(t, "l1", `LIST "" "INBOX.*"`); !slices.Equal(u, []string{`* LIST (\HasNoChildren) "." "INBOX.日本語"`}) {
		t.Errorf("LIST: %q", u)
	}
	rc.taggedOK(t, "s1", "SELECT INBOX")
	u := rc.taggedOK(t, "f1", "FETCH 1 BODY.PEEK[]")
	// the literal comes back line by line: the bytes as appended
	if len(u) < 3 || u[0] != fmt.Sprintf("* 1 FETCH (BODY[] {%d}", len(msg)) || strings.Join(u[1:len(u)-1], "\r\n")+"\r\n" != msg {
		t.Errorf("FETCH BODY[]: %q", u)
	}
	if u := rc.taggedOK(t, "x1", "SEARCH BODY Schöne"); !slices.Equal(u, []string{"* SEARCH 1"}) {
		t.Errorf("SEARCH without CHARSET (UTF-8): %q", u)
	}
	if _, st := rc.tagged(t, "x2", "SEARCH CHARSET ISO-8859-1 BODY x"); st != "BAD Charset MUST be UTF-8 when using UTF8=ACCEPT" {
		t.Errorf("SEARCH CHARSET ISO-8859-1: %s", st)
	}
}

// TestRev2GoIMAP: go-imap v2's client, which speaks IMAP4rev2, enables
// it and UTF8=ACCEPT and works through UTF-8 names, ESEARCH, STATUS
// DELETED and FLAGS without \Recent.
func TestRev2GoIMAP(t *testing.T) {
	s := startRev2Server(t)
	ev := newEvents()
	c := dialGo(t, s.Addr("imap"), "alice", alicePass, ev)
	caps := c.Caps()
	if !caps.Has(imap.CapIMAP4rev2) || !caps.Has(imap.CapUTF8Accept) {
		t.Fatalf("caps: %v", caps)
	}
	en, err := c.Enable(imap.CapIMAP4rev2, imap.CapUTF8Accept).Wait()
	if err != nil || !en.Caps.Has(imap.CapIMAP4rev2) || !en.Caps.Has(imap.CapUTF8Accept) {
		t.Fatalf("ENABLE: %+v %v", en, err)
	}
	const name = "INBOX.Entwürfe"
	if err := c.Create(name, nil).Wait(); err != nil {
		t.Fatalf("CREATE: %v", err)
	}
	if names := listNames(t, c, "INBOX*"); !slices.Contains(names, name) {
		t.Errorf("LIST: %q", names)
	}
	for i, subj := range []string{"eins", "zwei", "drei"} {
		msg := fmt.Sprintf("From: a@example.org\r\nSubject: %s\r\n\r\nNummer %d\r\n", subj, i+1)
		appendGo(t, c, name, msg, &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDeleted}[:i%2]})
	}
	st, err := c.Status(name, &imap.StatusOptions{NumMessages: true, NumDeleted: true, Size: true}).Wait()
	if err != nil {
		t.Fatalf("STATUS: %v", err)
	}
	if st.NumMessages == nil || *st.NumMessages != 3 || st.NumDeleted == nil || *st.NumDeleted != 1 || st.Size == nil || *st.Size == 0 {
		t.Errorf("STATUS: %+v", st)
	}
	sel, err := c.Select(name, nil).Wait()
	if err != nil || sel.NumMessages != 3 {
		t.Fatalf("SELECT: %+v %v", sel, err)
	}
	sd, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "zwei"}}}, nil).Wait()
	if err != nil {
		t.Fatalf("UID SEARCH: %v", err)
	}
	if got := sd.AllUIDs(); !slices.Equal(got, []imap.UID{2}) {
		t.Errorf("UID SEARCH SUBJECT zwei: %v", got)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{Flags: true, UID: true}).Collect()
	if err != nil || len(msgs) != 3 {
		t.Fatalf("FETCH: %d %v", len(msgs), err)
	}
	for _, m := range msgs {
		if slices.Contains(m.Flags, imap.Flag(`\Recent`)) {
			t.Errorf("UID %d has \\Recent after ENABLE IMAP4rev2: %v", m.UID, m.Flags)
		}
	}
	if err := c.Logout().Wait(); err != nil {
		t.Errorf("LOGOUT: %v", err)
	}
}

// TestGoIMAPMixedNames: go-imap v2's imapclient, told IMAP4rev2 is
// offered, sends raw UTF-8 mailbox names ("&" escaped as "&-") without
// enabling anything. The rev1 session reads them as the UTF-8 they are
// and answers in modified UTF-7, which the client decodes back.
func TestGoIMAPMixedNames(t *testing.T) {
	s := startRev2Server(t)
	c := dialGo(t, s.Addr("imap"), "alice", alicePass, newEvents())
	const name = "INBOX.Grüße & Co"
	if err := c.Create(name, nil).Wait(); err != nil {
		t.Fatalf("CREATE: %v", err)
	}
	if names := listNames(t, c, "INBOX*"); !slices.Contains(names, name) {
		t.Errorf("LIST: %q", names)
	}
	msg := "From: a@example.org\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nhallo\r\n"
	appendGo(t, c, name, msg, nil)
	st, err := c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || st.NumMessages == nil || *st.NumMessages != 1 {
		t.Fatalf("STATUS: %+v %v", st, err)
	}
	if sel, err := c.Select(name, nil).Wait(); err != nil || sel.NumMessages != 1 {
		t.Fatalf("SELECT: %+v %v", sel, err)
	}
	// a non-ASCII SEARCH goes without CHARSET too
	sd, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "grüße"}}}, nil).Wait()
	if err != nil {
		t.Fatalf("UID SEARCH: %v", err)
	}
	if got := sd.AllUIDs(); !slices.Equal(got, []imap.UID{1}) {
		t.Errorf("UID SEARCH SUBJECT grüße: %v", got)
	}
	// the same mailbox through its modified UTF-7 name on a raw line
	rc := s.dialRaw(t, "alice", alicePass)
	defer rc.logout()
	rc.ok(t, `STATUS "INBOX.Gr&APwA3w-e &- Co" (MESSAGES)`)
	if err := c.Rename(name, "INBOX.Übrig", nil).Wait(); err != nil {
		t.Fatalf("RENAME: %v", err)
	}
	if err := c.Delete("INBOX.Übrig").Wait(); err != nil {
		t.Fatalf("DELETE: %v", err)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Errorf("LOGOUT: %v", err)
	}
}

// listNames is LIST "" pattern through imapclient: the mailbox names.
func listNames(t *testing.T, c *imapclient.Client, pattern string) []string {
	t.Helper()
	list, err := c.List("", pattern, nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	return names
}

// appendGo APPENDs msg to mailbox through imapclient.
func appendGo(t *testing.T, c *imapclient.Client, mailbox, msg string, opts *imap.AppendOptions) {
	t.Helper()
	ac := c.Append(mailbox, int64(len(msg)), opts)
	if _, err := ac.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := ac.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.Wait(); err != nil {
		t.Fatalf("APPEND: %v", err)
	}
}
