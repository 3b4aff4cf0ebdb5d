package lmtp_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gyrus/test/harness"
)

// step is one command of a differential LMTP script: a command line,
// or the message to send after "354" (dot-stuffed and terminated by the
// runner unless raw).
type step struct {
	cmd  string
	msg  string
	raw  bool   // msg is the exact wire bytes, terminating dot included
	wait string // read replies until the connection says this (tests of silence)
}

func c(cmd string) step       { return step{cmd: cmd} }
func data(msg string) []step  { return []step{c("DATA"), {msg: msg}} }
func rawData(w string) []step { return []step{c("DATA"), {msg: w, raw: true}} }
func steps(s ...any) []step {
	var out []step
	for _, x := range s {
		switch v := x.(type) {
		case string:
			out = append(out, c(v))
		case step:
			out = append(out, v)
		case []step:
			out = append(out, v...)
		}
	}
	return out
}

// dotStuff is what an MTA sends for a message: a dot doubled at the
// start of every line, CRLF added if the message does not end with a
// newline, and the terminating dot line.
func dotStuff(msg string) string {
	var b strings.Builder
	lines := strings.SplitAfter(msg, "\n")
	for _, l := range lines {
		if l == "" {
			continue
		}
		if l[0] == '.' {
			b.WriteByte('.')
		}
		b.WriteString(l)
	}
	if !strings.HasSuffix(msg, "\n") && msg != "" {
		b.WriteString("\r\n")
	}
	b.WriteString(".\r\n")
	return b.String()
}

// runScript plays a script on a fresh connection and returns the
// transcript, replies normalized. After a 354 it reads one reply per
// recipient accepted so far (one only for Cyrus's single "message size"
// refusal).
func runScript(t testing.TB, s server, network, addr string, script []step) []string {
	t.Helper()
	r := dialRaw(t, network, addr)
	var tr []string
	tr = append(tr, "S: "+normReply(r.reply()))
	accepted := 0
	for _, st := range script {
		if st.cmd != "" {
			r.send(st.cmd + "\r\n")
			tr = append(tr, "C: "+st.cmd)
			rep := r.reply()
			tr = append(tr, "S: "+normReply(rep))
			u := strings.ToUpper(st.cmd)
			switch {
			case strings.HasPrefix(u, "RCPT") && strings.HasPrefix(rep, "250"):
				accepted++
			case u == "RSET" || strings.HasPrefix(u, "LHLO"):
				if u == "RSET" {
					accepted = 0
				}
			}
			if rep == "<closed>" {
				return tr
			}
			continue
		}
		last := tr[len(tr)-1]
		if !strings.HasPrefix(last, "S: 354") {
			continue
		}
		w := st.msg
		if !st.raw {
			w = dotStuff(st.msg)
		}
		r.send(w)
		tr = append(tr, fmt.Sprintf("C: <message %d bytes>", len(w)))
		first := r.reply()
		tr = append(tr, "S: "+normReply(first))
		if strings.HasPrefix(first, "552 5.2.3 Message size") || first == "<closed>" {
			continue
		}
		for i := 1; i < accepted; i++ {
			tr = append(tr, "S: "+normReply(r.reply()))
		}
		accepted = 0
	}
	return tr
}

// mailboxState is every message file of the given mailboxes, normalized.
type mailboxState map[string][]string

func snapshot(t testing.TB, s server, dirs map[string]string) mailboxState {
	t.Helper()
	st := mailboxState{}
	for mbox, dir := range dirs {
		for _, f := range filesIn(t, dir) {
			st[mbox] = append(st[mbox], normMessage(f))
		}
	}
	return st
}

func filesIn(t testing.TB, dir string) [][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var uids []int
	for _, e := range ents {
		var u int
		if n, _ := fmt.Sscanf(e.Name(), "%d.", &u); n == 1 && e.Name() == fmt.Sprintf("%d.", u) {
			uids = append(uids, u)
		}
	}
	sort.Ints(uids)
	var out [][]byte
	for _, u := range uids {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.", u)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// adminSetup runs raw IMAP admin commands (CREATE, SETACL, SETQUOTA).
func adminSetup(t testing.TB, s server, imapAddr, user, pw string, cmds []string) {
	t.Helper()
	c := harness.DialConn(t, "tcp", imapAddr)
	c.ExpectUntagged("OK")
	c.OK("a0", "LOGIN "+user+" "+pw)
	for i, cmd := range cmds {
		c.OK(fmt.Sprintf("a%d", i+1), cmd)
	}
	c.Send("z LOGOUT")
	c.ExpectClosed()
}

// pair is the same setup on Gyrus and on Cyrus.
type pair struct {
	g, c    server
	gdirs   map[string]string
	cdirs   map[string]string
	mailbox []string
}

func (g gyrusServer) imapAddr() string { return g.in.Addr("imap") }
func (c cyrusServer) imapAddr() string { return c.o.Addr("imap") }

// startPair starts both servers with the same options and mailboxes.
func startPair(t *testing.T, opts map[string]string, setup []string, mailboxes []string) *pair {
	t.Helper()
	var copts []string
	for k, v := range opts {
		copts = append(copts, k+"="+v)
	}
	sort.Strings(copts)
	cy := startCyrus(t, copts...)
	gy := startGyrus(t, opts)
	adminSetup(t, gy, gy.imapAddr(), "admin", "adminpw", setup)
	adminSetup(t, cy, cy.imapAddr(), "cyrus", "cyrus-admin-pw", setup)
	p := &pair{g: gy, c: cy, gdirs: map[string]string{}, cdirs: map[string]string{}, mailbox: mailboxes}
	for _, m := range mailboxes {
		p.gdirs[m] = gy.MailboxDir(t, m)
		p.cdirs[m] = cy.MailboxDir(t, m)
	}
	return p
}

// compare runs a script on both servers (TCP, pre-authorized) and
// checks that the transcripts and the mailboxes end up the same.
func (p *pair) compare(t *testing.T, name string, script []step) {
	t.Helper()
	p.compareOn(t, name, "tcp", script)
}

func (p *pair) compareOn(t *testing.T, name, network string, script []step) {
	t.Helper()
	addr := func(s server) string {
		if network == "unix" {
			return s.UnixSocket()
		}
		return s.LMTPAddr()
	}
	ctr := runScript(t, p.c, network, addr(p.c), script)
	gtr := runScript(t, p.g, network, addr(p.g), script)
	if !equalStrings(ctr, gtr) {
		t.Errorf("%s: transcripts differ\n--- cyrus\n%s\n--- gyrus\n%s", name, strings.Join(ctr, "\n"), strings.Join(gtr, "\n"))
	}
	cs := snapshot(t, p.c, p.cdirs)
	gs := snapshot(t, p.g, p.gdirs)
	for _, m := range p.mailbox {
		if !equalStrings(cs[m], gs[m]) {
			t.Errorf("%s: %s differs: cyrus has %d messages, gyrus %d\n%s", name, m, len(cs[m]), len(gs[m]), firstDiff(cs[m], gs[m]))
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func firstDiff(a, b []string) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("message %d:\n--- cyrus\n%q\n--- gyrus\n%q", i+1, a[i], b[i])
		}
	}
	if len(a) > len(b) {
		return fmt.Sprintf("missing in gyrus: %q", a[len(b)])
	}
	if len(b) > len(a) {
		return fmt.Sprintf("extra in gyrus: %q", b[len(a)])
	}
	return ""
}

// msg is a small well-formed message with its own Message-ID and Date.
func msg(id string, extra ...string) string {
	h := "From: sender@example.com\r\nTo: alice@example.com\r\nSubject: test " + id + "\r\n" +
		"Date: Mon, 02 Jan 2023 10:00:00 +0000\r\nMessage-ID: <" + id + "@example.com>\r\n"
	for _, e := range extra {
		h += e + "\r\n"
	}
	return h + "\r\nHello " + id + ".\r\n"
}

// corpusFiles picks corpus messages: every second one by default (all
// with GYRUS_LMTP_CORPUS=all), the raw oddities always.
func corpusFiles(t testing.TB) []string {
	dir := filepath.Join(harness.ModuleRoot(), "test", "corpus", "msgs")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("corpus: %v", err)
	}
	all := os.Getenv("GYRUS_LMTP_CORPUS") == "all"
	var out []string
	for i, e := range ents {
		if all || i%2 == 0 || strings.Contains(e.Name(), "-raw-") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// TestDifferentialCorpus delivers corpus messages to the real Cyrus and
// to Gyrus and compares every reply and every stored file.
func TestDifferentialCorpus(t *testing.T) {
	t.Parallel()
	// every message is stored: many corpus messages share a Message-ID
	p := startPair(t, map[string]string{"duplicatesuppression": "0"}, []string{"CREATE user.corpus"}, []string{"user.corpus"})
	files := corpusFiles(t)
	var script []step
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			script = append(script, c("LHLO corpus.example"))
		}
		script = append(script, steps("MAIL FROM:<sender@example.com>", "RCPT TO:<corpus>", data(string(b)))...)
	}
	start := time.Now()
	p.compare(t, "corpus", script)
	t.Logf("%d corpus messages compared in %v", len(files), time.Since(start))
	if n := len(filesIn(t, p.gdirs["user.corpus"])); n < len(files)/2 {
		t.Errorf("only %d of %d corpus messages were stored", n, len(files))
	}
}
