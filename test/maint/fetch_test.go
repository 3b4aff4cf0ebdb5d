package maint

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gyrus/lib/mailbox/index"
	"gyrus/test/harness"
)

// TestRepairServedByCyrus: mailboxes repaired by Gyrus's reconstruct are
// served by Gyrus's imapd (on a copy) and by the real Cyrus imapd: a
// FETCH shows every message with the
// UID, flags and size that lib/mailbox reads.
func TestRepairServedByCyrus(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := &f.inst
	in.restore(t)
	env := in.env(t)
	damages := map[string]func(d *dctx){
		"user.alice":     func(d *dctx) { flip(t, d.path("cyrus.index"), int64(index.HeaderSize+1*index.RecordSize+50), 0x10) },
		"user.alice.sub": func(d *dctx) { rm(t, d.path("cyrus.cache")) },
		"user.bob":       func(d *dctx) { zero(t, d.path("cyrus.index"), 0, index.HeaderSize) },
		"shared":         func(d *dctx) { rm(t, d.path("cyrus.header")) },
	}
	var names []string
	for name, fn := range damages {
		loc, e := in.location(t, env, name)
		fn(&dctx{in: in, env: env, loc: loc, e: e, dir: loc.Dir, name: name})
		names = append(names, name)
	}
	env.Close()
	in.chown(t)
	sort.Strings(names)
	want := map[string]string{}
	for _, name := range names {
		if out, errs, code := in.gyrus(t, "reconstruct", name); code != 0 {
			t.Fatalf("reconstruct %s: exit %d\n%s%s", name, code, out, errs)
		}
		s := in.state(t, name)
		var lines []string
		for _, m := range s.Msgs {
			lines = append(lines, fmt.Sprintf("%d [%s] %d", m.UID, m.Flags, m.Size))
		}
		want[name] = strings.Join(lines, "\n")
	}
	// Gyrus's imapd on a copy of the repaired spool and databases
	t.Run("gyrus-imapd", func(t *testing.T) {
		g := harness.New(t, harness.Options{IMAPDConf: map[string]string{
			"expunge_mode": "delayed", "delete_mode": "delayed", "virtdomains": "off",
		}})
		harnessBin = g.Bin
		for _, d := range [][2]string{{"lib", g.ConfigDir}, {"spool", g.Spool}} {
			os.RemoveAll(d[1])
			if err := copyTree(filepath.Join(f.dir, d[0]), d[1]); err != nil {
				t.Fatal(err)
			}
		}
		os.MkdirAll(filepath.Join(g.ConfigDir, "proc"), 0o755)
		os.MkdirAll(filepath.Join(g.ConfigDir, "socket"), 0o755)
		g.Start()
		g.AddUser(t, "alice", "alicepw")
		g.AddUser(t, "bob", "bobpw")
		served(t, "Gyrus", names, want, func(user, pass string) (*imapConn, error) { return imapAt(g.Addr("imap"), user, pass) })
	})
	if out, err := exec.Command(cyrusRef(), "start", f.dir, "--no-tls").CombinedOutput(); err != nil {
		t.Fatalf("cyrus-ref start: %v\n%s", err, out)
	}
	defer exec.Command(cyrusRef(), "stop", f.dir).Run()
	served(t, "Cyrus", names, want, f.imap)
	t.Run("beside-services", func(t *testing.T) { toolsBesideServices(t, f, in) })
}

// toolsBesideServices: the tools run while Cyrus's imapd delivers into
// the same mailboxes (APPEND with flags, STORE, EXPUNGE); no message is
// lost or damaged: every APPEND that got its OK is there with its flags,
// and Cyrus's own reconstruct and quota find nothing to fix afterwards.
func toolsBesideServices(t *testing.T, f *fixture, in *inst) {
	stop := make(chan struct{})
	type result struct {
		n   int // APPENDs that got their OK
		err error
	}
	res := make(chan result, 1)
	go func() {
		c, err := f.imap("alice", "alicepw")
		if err != nil {
			res <- result{0, err}
			return
		}
		defer c.close()
		for i := 0; ; i++ {
			select {
			case <-stop:
				res <- result{i, nil}
				return
			default:
			}
			msg := fmt.Sprintf("From: a@example.com\r\nSubject: beside %d\r\nMessage-ID: <beside%d@example.com>\r\n\r\nbody %d\r\n", i, i, i)
			for _, step := range []func() error{
				func() error { return c.appendLit("APPEND INBOX ($Beside \\Flagged) {%d}\r\n%s", msg) },
				func() error { return c.ok("SELECT INBOX") },
				func() error { return c.ok(`UID STORE 1:* +FLAGS (\Answered)`) },
				func() error { return c.ok("CLOSE") },
			} {
				if err := step(); err != nil {
					res <- result{i, err}
					return
				}
			}
		}
	}()
	// each tool runs twice while the deliveries go on
	for _, args := range [][]string{
		{"reconstruct", "user.alice"}, {"quota", "-f", "-q"}, {"cyr_expire", "-X", "0", "-E", "1", "-u", "alice"},
		{"chk_cyrus", "-M", "user.alice"}, {"unexpunge", "-l", "user.alice"}, {"ipurge", "-n", "-f", "-d", "0", "user.alice"},
		{"mbexamine", "-q", "user.alice"}, {"reconstruct", "-G", "user.alice"}, {"quota", "-f", "user.alice"},
		{"cyr_expire", "-D", "0", "-t", "-p", "user.alice"},
	} {
		if out, errs, code := in.gyrus(t, args[0], args[1:]...); code != 0 {
			t.Errorf("%v beside Cyrus: exit %d\n%s%s", args, code, out, errs)
		}
	}
	close(stop)
	r := <-res
	if r.err != nil {
		t.Fatalf("IMAP beside the tools, after %d messages: %v", r.n, r.err)
	}
	n := r.n
	t.Logf("%d messages appended beside the tools", n)
	if n == 0 {
		t.Errorf("no APPEND finished while the tools ran")
	}
	c, err := f.imap("alice", "alicepw")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := c.lines("EXAMINE INBOX", `UID SEARCH KEYWORD $Beside FLAGGED ANSWERED`)
	c.close()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || len(strings.Fields(lines[0])) != 2+n {
		t.Errorf("after the tools, the %d appended messages with their flags: %q", n, lines)
	}
	if out, errs, _ := in.cyrus(t, "reconstruct", "-n", "-G", "user.alice"); out != "user.alice\n" {
		t.Errorf("Cyrus's reconstruct -n -G after the tools:\n%s%s", out, errs)
	}
	if _, errs, _ := in.cyrus(t, "quota", "-f", "-n", "-q"); errs != "" {
		t.Errorf("Cyrus's quota -f -n after the tools:\n%s", errs)
	}
}

// served checks that an imapd serves each mailbox with the UIDs, flags
// and sizes lib/mailbox reads (want).
func served(t *testing.T, who string, names []string, want map[string]string, login func(user, pass string) (*imapConn, error)) {
	t.Helper()
	accounts := map[string][3]string{ // who looks, and under which name
		"user.alice": {"alice", "alicepw", "INBOX"}, "user.alice.sub": {"alice", "alicepw", "INBOX.sub"},
		"user.bob": {"bob", "bobpw", "INBOX"}, "shared": {"alice", "alicepw", "shared"},
	}
	uid := regexp.MustCompile(`UID (\d+)`)
	flags := regexp.MustCompile(`FLAGS \(([^)]*)\)`)
	size := regexp.MustCompile(`RFC822\.SIZE (\d+)`)
	for _, name := range names {
		acct := accounts[name]
		c, err := login(acct[0], acct[1])
		if err != nil {
			t.Fatal(err)
		}
		lines, err := c.lines("EXAMINE "+acct[2], "UID FETCH 1:* (UID FLAGS RFC822.SIZE)")
		c.close()
		if err != nil {
			t.Fatalf("%s (%s): %v", name, who, err)
		}
		var got []string
		for _, l := range lines {
			mu, mf, ms := uid.FindStringSubmatch(l), flags.FindStringSubmatch(l), size.FindStringSubmatch(l)
			if !strings.Contains(l, " FETCH ") || mu == nil || mf == nil || ms == nil {
				continue
			}
			var fl []string
			for _, x := range strings.Fields(mf[1]) {
				if x != `\Recent` {
					fl = append(fl, x)
				}
			}
			sort.Strings(fl)
			got = append(got, fmt.Sprintf("%s [%s] %s", mu[1], strings.Join(fl, " "), ms[1]))
		}
		if g := strings.Join(got, "\n"); g != want[name] || g == "" {
			t.Errorf("%s served by "+who+":\n%s\nlib/mailbox reads:\n%s", name, g, want[name])
		}
	}
}

// lines runs commands and returns the untagged lines of the last one.
func (ic *imapConn) lines(cmds ...string) ([]string, error) {
	var out []string
	for _, c := range cmds {
		out = nil
		ic.tag++
		tag := fmt.Sprintf("t%d", ic.tag)
		fmt.Fprintf(ic.c, "%s %s\r\n", tag, c)
		for {
			ic.c.SetReadDeadline(time.Now().Add(20 * time.Second))
			line, err := ic.r.ReadString('\n')
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(line, tag+" ") {
				if !strings.HasPrefix(line[len(tag)+1:], "OK") {
					return nil, fmt.Errorf("%s: %s", c, line)
				}
				break
			}
			out = append(out, strings.TrimRight(line, "\r\n"))
		}
	}
	return out, nil
}
