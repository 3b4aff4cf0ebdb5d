package pop3

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
)

// bulkMessages makes n distinct messages (CRLF), with lines that need
// dot-stuffing, long lines and 8-bit text here and there; each carries
// "X-Seq: <i>".
func bulkMessages(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		var b bytes.Buffer
		fmt.Fprintf(&b, "From: sender%d@example.org\r\nTo: bulk@example.org\r\nSubject: message %d\r\nX-Seq: %d\r\n", i%7, i, i)
		fmt.Fprintf(&b, "Date: Mon, 2 Jan 2023 10:%02d:%02d +0000\r\nMessage-ID: <bulk-%d@example.org>\r\n\r\n", i/60%60, i%60, i)
		for l := 0; l < 5+i%40; l++ {
			switch {
			case l%11 == 3:
				b.WriteString(".a line that starts with a dot\r\n")
			case l%13 == 5:
				b.WriteString(strings.Repeat("long ", 300) + "\r\n")
			case l%17 == 7:
				b.WriteString("caf\xc3\xa9 na\xc3\xafve\r\n")
			default:
				fmt.Fprintf(&b, "line %d of message %d\r\n", l, i)
			}
		}
		if i%50 == 0 {
			b.WriteString(".\r\n")
		}
		out[i] = b.Bytes()
	}
	return out
}

// imapAppendAll appends the messages to mbox in one MULTIAPPEND.
func imapAppendAll(t *testing.T, c *imapConn, mbox string, msgs [][]byte) {
	t.Helper()
	c.tag++
	tag := fmt.Sprintf("p%d", c.tag)
	c.conn.SetDeadline(time.Now().Add(5 * time.Minute))
	defer c.conn.SetDeadline(time.Time{})
	w := bufio.NewWriter(c.conn)
	fmt.Fprintf(w, "%s APPEND %s", tag, quote(mbox))
	for _, m := range msgs {
		fmt.Fprintf(w, " {%d}\r\n", len(m))
		w.Flush()
		l, err := c.br.ReadString('\n')
		if err != nil || !strings.HasPrefix(l, "+") {
			t.Fatalf("APPEND: %q %v", l, err)
		}
		w.Write(m)
	}
	w.WriteString("\r\n")
	w.Flush()
	for {
		l, err := c.br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				t.Fatalf("APPEND: %s", l)
			}
			return
		}
	}
}

func imapMust(t *testing.T, c *imapConn, cmd string) []string {
	t.Helper()
	lines, st, err := c.cmd(cmd, nil, time.Minute)
	if err != nil || st != "OK" {
		t.Fatalf("%s: %s %v %q", cmd, st, err, lines)
	}
	return lines
}

var (
	reUsage   = regexp.MustCompile(`STORAGE (\d+) (\d+)`)
	reUIDNext = regexp.MustCompile(`UIDNEXT (\d+)`)
)

// account is what a POP client emptying the INBOX must leave alone: the
// other folder's messages and flags, the folder and subscription lists,
// the INBOX's UIDVALIDITY, and the quota usage besides the INBOX's.
type account struct {
	keep, folders, subs, uidvalidity string
	usage                            int64
	uidnext                          int
}

func accountState(t *testing.T, c *imapConn) account {
	t.Helper()
	var a account
	imapMust(t, c, "SELECT INBOX.keep")
	a.keep = strings.Join(imapMust(t, c, "FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (X-Seq)])"), "\n")
	imapMust(t, c, "UNSELECT")
	for _, l := range imapMust(t, c, "GETQUOTAROOT INBOX") {
		if m := reUsage.FindStringSubmatch(l); m != nil {
			a.usage, _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	a.folders = strings.Join(imapMust(t, c, `LIST "" "*"`), "\n")
	a.subs = strings.Join(imapMust(t, c, `LSUB "" "*"`), "\n")
	st := strings.Join(imapMust(t, c, "STATUS INBOX (UIDVALIDITY UIDNEXT)"), "\n")
	if m := regexp.MustCompile(`UIDVALIDITY \d+`).FindString(st); m != "" {
		a.uidvalidity = m
	}
	if m := reUIDNext.FindStringSubmatch(st); m != nil {
		a.uidnext, _ = strconv.Atoi(m[1])
	}
	if a.uidvalidity == "" || a.uidnext == 0 {
		t.Fatalf("STATUS INBOX: %q", st)
	}
	return a
}

// inboxEmpty fails the test unless the INBOX has no message left.
func inboxEmpty(t *testing.T, c *imapConn, who string) {
	t.Helper()
	lines := imapMust(t, c, "STATUS INBOX (MESSAGES)")
	if len(lines) != 1 || !strings.Contains(lines[0], "(MESSAGES 0)") {
		t.Errorf("INBOX after %s: %q", who, lines)
	}
}

// bsmtpMessages splits fetchmail's BSMTP batch into the messages it
// holds (between DATA and the lone dot, dot-stuffing undone, LF line
// ends), keyed by their X-Seq header.
func bsmtpMessages(t *testing.T, batch []byte) map[string][]string {
	t.Helper()
	text := strings.ReplaceAll(string(batch), "\r\n", "\n")
	out := map[string][]string{}
	for _, part := range strings.Split(text, "\nDATA\n")[1:] {
		data, _, ok := strings.Cut(part, "\n.\n")
		if !ok {
			t.Fatalf("BSMTP: a DATA section without its end: %.200q", part)
		}
		lines := strings.Split(data, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, ".") {
				lines[i] = l[1:]
			}
		}
		msg := strings.Join(lines, "\n") + "\n"
		m := regexp.MustCompile(`(?m)^X-Seq: (\d+)$`).FindStringSubmatch(msg)
		if m == nil {
			t.Errorf("BSMTP: a message without X-Seq: %.200q", msg)
			continue
		}
		out[m[1]] = append(out[m[1]], msg)
	}
	return out
}

// checkIndex runs lib/mailbox's consistency check over the user's INBOX
// on the instance's spool (counters, CRCs, files).
func checkIndex(t *testing.T, g *gyrus, name string) {
	t.Helper()
	cfg, err := config.Load(g.IMAPDConf, "pop3")
	if err != nil {
		t.Fatal(err)
	}
	st, err := mboxlist.SettingsFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := mboxlist.Open(st)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e, err := l.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := l.Settings().Locate(e)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := mailbox.Open(loc, l.Settings().Mailbox, mailbox.ReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	probs, err := mb.Check(mailbox.CheckOptions{Files: true})
	if err != nil || len(probs) > 0 {
		t.Errorf("%s after the download: %v %v", name, err, probs)
	}
	if h := mb.Header(); h.Exists != 0 {
		t.Errorf("%s: %d messages left", name, h.Exists)
	}
}

// TestClients: Python's poplib and fetchmail each download a mailbox of
// 1,000 messages from Gyrus and delete them. poplib compares every
// message byte for byte, fetchmail's batch must hold each message once
// with its body intact. After each client the INBOX is empty; at the end
// its index is consistent, its UIDVALIDITY kept and its UIDNEXT moved by
// the appends only, and the other folder, the folder and subscription
// lists and the quota usage are as before. GYRUS_BULK=n changes the
// number. Without the fetchmail program (Debian package fetchmail) that
// half is skipped.
func TestClients(t *testing.T) {
	t.Parallel()
	n := 1000
	if v := os.Getenv("GYRUS_BULK"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	// the system's interpreter first: poplib is in its standard
	// library, and a version manager's python3 shim can cost seconds
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		if py, err = exec.LookPath("python3"); err != nil {
			t.Skip("python3 not installed")
		}
	}
	tgt := StartGyrus(t, nil)
	g := tgt.(*gyrus)
	const user, pw = "bulk", "bulk-pw"
	if err := g.CreateUser(User{Name: user, Password: pw}); err != nil {
		t.Fatal(err)
	}
	admin, err := dialIMAP(g.Addr("imap"), AdminUser, AdminPassword, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.conn.Close()
	imapMust(t, admin, `SETQUOTA "user.bulk" (STORAGE 1000000)`)
	c, err := dialIMAP(g.Addr("imap"), user, pw, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer c.conn.Close()
	imapMust(t, c, "CREATE INBOX.keep")
	imapAppendAll(t, c, "INBOX.keep", bulkMessages(3))
	imapMust(t, c, "SELECT INBOX.keep")
	imapMust(t, c, `STORE 2 +FLAGS (\Flagged \Seen)`)
	imapMust(t, c, "UNSELECT")
	before := accountState(t, c)
	msgs := bulkMessages(n)
	appended := 0

	host, port, _ := strings.Cut(g.Addr("pop3"), ":")
	work := t.TempDir()

	t.Run("poplib", func(t *testing.T) {
		imapAppendAll(t, c, "INBOX", msgs)
		appended += n
		dir := filepath.Join(work, "poplib")
		os.MkdirAll(dir, 0o755)
		for i, m := range msgs {
			os.WriteFile(filepath.Join(dir, strconv.Itoa(i)), m, 0o644)
		}
		script := `
import poplib, sys, os
host, port, user, pw, d, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
p = poplib.POP3(host, port, timeout=60)
p.user(user); p.pass_(pw)
count, size = p.stat()
assert count == n, (count, n)
uidls = p.uidl()[1]
assert len(uidls) == n and len(set(u.split()[1] for u in uidls)) == n
for i in range(1, n + 1):
    resp, lines, octets = p.retr(i)
    got = b"\r\n".join(lines) + b"\r\n"
    want = open(os.path.join(d, str(i - 1)), "rb").read()
    assert got == want, (i, got[:200], want[:200])
    p.dele(i)
print(p.stat())
print(p.quit())
`
		out, err := exec.Command(py, "-c", script, host, port, user, pw, dir, strconv.Itoa(n)).CombinedOutput()
		if err != nil {
			t.Fatalf("poplib: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "(0, 0)") {
			t.Errorf("poplib: %s", out)
		}
		inboxEmpty(t, c, "poplib")
	})

	t.Run("fetchmail", func(t *testing.T) {
		fm, err := exec.LookPath("fetchmail")
		if err != nil {
			t.Skip("fetchmail not installed (apt-get install fetchmail)")
		}
		imapAppendAll(t, c, "INBOX", msgs)
		appended += n
		dir := filepath.Join(work, "fetchmail")
		os.MkdirAll(dir, 0o755)
		// BSMTP batch file: no MDA process per message
		mbox := filepath.Join(dir, "bsmtp")
		rc := filepath.Join(dir, "fetchmailrc")
		os.WriteFile(rc, []byte(fmt.Sprintf("set no bouncemail\nset no syslog\npoll %s protocol POP3 port %s\n  user %q there with password %q is root here\n  options fetchall nokeep sslproto '' bsmtp %q\n", host, port, user, pw, mbox)), 0o600)
		cmd := exec.Command(fm, "-f", rc, "--pidfile", filepath.Join(dir, "pid"), "-v", "--nodetach")
		cmd.Env = append(os.Environ(), "HOME="+dir, "FETCHMAILHOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fetchmail: %v\n%s", err, out)
		}
		batch, err := os.ReadFile(mbox)
		if err != nil {
			t.Fatal(err)
		}
		// each message once, its body as appended (fetchmail adds a
		// Received: line and may rewrite addresses, not the body)
		got := bsmtpMessages(t, batch)
		if len(got) != n {
			t.Errorf("fetchmail delivered %d distinct messages, want %d", len(got), n)
		}
		for i, m := range msgs {
			copies := got[strconv.Itoa(i)]
			if len(copies) != 1 {
				t.Errorf("message %d delivered %d times", i, len(copies))
				continue
			}
			_, wantBody, _ := strings.Cut(strings.ReplaceAll(string(m), "\r\n", "\n"), "\n\n")
			if _, body, _ := strings.Cut(copies[0], "\n\n"); body != wantBody {
				t.Errorf("message %d: body differs:\n%.300q\nwant\n%.300q", i, body, wantBody)
			}
		}
		inboxEmpty(t, c, "fetchmail")
		if os.Getenv("GYRUS_FETCHMAIL_LOG") != "" || !bytes.Contains(out, []byte(fmt.Sprintf("%d messages", n))) {
			t.Logf("fetchmail output:\n%s", out)
		}
	})

	// afterwards: INBOX empty and consistent, the rest unchanged, and no
	// UID used but by the appends
	inboxEmpty(t, c, "both downloads")
	after := accountState(t, c)
	if after.uidnext != before.uidnext+appended {
		t.Errorf("INBOX UIDNEXT %d after appending %d messages from %d", after.uidnext, appended, before.uidnext)
	}
	after.uidnext = before.uidnext
	if after != before {
		t.Errorf("the account changed beyond the INBOX's messages:\n%+v\n---\n%+v", before, after)
	}
	checkIndex(t, g, "user."+user)
}
