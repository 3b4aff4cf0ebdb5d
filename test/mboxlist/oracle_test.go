package mboxlist_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gyrus/lib/annotate"
	"gyrus/lib/config"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/quota"
	"gyrus/lib/seen"
	"gyrus/lib/subs"
	"gyrus/test/harness"
)

// buildTools returns a directory with our ctl_mboxlist and mbpath for the
// comparisons: $GYRUS_BIN when it has both (make test fills it with
// `make build` just before), else a fresh build of the two.
func buildTools(t *testing.T) string {
	if bin := os.Getenv(harness.BinEnv); bin != "" {
		_, e1 := os.Stat(filepath.Join(bin, "mbpath"))
		_, e2 := os.Stat(filepath.Join(bin, "ctl_mboxlist"))
		if e1 == nil && e2 == nil {
			abs, _ := filepath.Abs(bin)
			return abs
		}
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	cmd := exec.Command("go", "build", "-o", dir+"/", "gyrus/cmd/mbpath", "gyrus/cmd/ctl_mboxlist")
	cmd.Dir = harness.ModuleRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return dir
}

type oracleEnv struct {
	t    *testing.T
	o    *harness.Oracle
	conf string
	bin  string
}

func (e *oracleEnv) imap(user, pw string) *harness.Conn {
	c := harness.DialConn(e.t, "tcp", e.o.Addr("imap"))
	c.ReadLine()
	c.OK("L", fmt.Sprintf("LOGIN %s %s", user, pw))
	return c
}

func (e *oracleEnv) cyrus(name string, args ...string) string {
	e.t.Helper()
	out, err := e.o.Tool(e.t, name, args...)
	if err != nil {
		e.t.Fatalf("cyrus %s %v: %v\n%s", name, args, err, out)
	}
	return out
}

func (e *oracleEnv) ours(name string, args ...string) string {
	e.t.Helper()
	cmd := exec.Command(filepath.Join(e.bin, name), append([]string{"-C", e.conf}, args...)...)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

func (e *oracleEnv) list(t *testing.T) *mboxlist.List {
	c, err := config.Load(e.conf, "test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := mboxlist.SettingsFromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	l, err := mboxlist.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (e *oracleEnv) ctl(args ...string) {
	out, err := exec.Command(harness.OraclePath(), append(args, e.o.Dir)...).CombinedOutput()
	if err != nil {
		e.t.Fatalf("cyrus-ref %v: %v\n%s", args, err, out)
	}
}

func lmtpDeliver(t *testing.T, addr, rcpt, msg string) {
	c := harness.DialConn(t, "tcp", addr)
	c.Expect("^220")
	c.Send("LHLO test")
	for !strings.HasPrefix(c.ReadLine(), "250 ") {
	}
	c.Send("MAIL FROM:<s@example.com>")
	c.Expect("^250")
	c.Send("RCPT TO:<%s>", rcpt)
	c.Expect("^250")
	c.Send("DATA")
	c.Expect("^354")
	c.Send("%s\r\n.", msg)
	c.Expect("^250")
	c.Send("QUIT")
}

// TestOracleBothWays: the real Cyrus 3.6.1 makes mailboxes, ACLs, quotas,
// subscriptions, annotations and seen state through its imapd, and
// Gyrus's libraries read exactly that; then Gyrus makes more of them in the
// stopped instance's directories, and the real tools and imapd report
// exactly what Gyrus wrote.
func TestOracleBothWays(t *testing.T) {
	t.Parallel() // mostly waiting for Cyrus: overlaps the rename tests
	began := time.Now()
	lap := func(what string) { t.Logf("%6.1fs %s", time.Since(began).Seconds(), what) }
	o := harness.StartOracle(t, harness.OracleOptions{NoTLS: true})
	lap("oracle started")
	e := &oracleEnv{t: t, o: o, conf: filepath.Join(o.Dir, "etc", "imapd.conf"), bin: buildTools(t)}
	lap("tools built")
	for _, u := range []string{"alice", "bob", "dave"} {
		o.AddUser(t, u, u+"pw")
	}

	// ---- Cyrus writes ----
	a := e.imap("cyrus", "cyrus-admin-pw")
	for i, m := range []string{"user.alice.Sent", "user.alice.a.b", "shared", "shared.sub", "user.bob.Trash"} {
		a.OK(fmt.Sprintf("C%d", i), "CREATE "+m)
	}
	a.OK("A1", "SETACL user.alice bob lrs")
	a.OK("Q1", "SETQUOTA user.alice (STORAGE 1000 MESSAGE 50)")
	a.OK("Q2", "SETQUOTA shared (STORAGE 500)")
	a.OK("R1", "RENAME user.bob.Trash user.bob.Junk")
	a.OK("M1", `SETMETADATA "" (/shared/comment "server note")`)
	// dave goes away (delayed delete), Gyrus makes him again below
	a.OK("A2", "SETACL user.dave cyrus x")
	a.OK("D1", "DELETE user.dave")
	lmtpDeliver(t, o.Addr("lmtp"), "alice@localhost", "Subject: one\r\n\r\nbody")
	lmtpDeliver(t, o.Addr("lmtp"), "alice@localhost", "Subject: two\r\n\r\nbody")
	al := e.imap("alice", "alicepw")
	al.OK("S1", "SUBSCRIBE INBOX.Sent")
	al.OK("S2", "SUBSCRIBE shared")
	al.OK("S3", "SUBSCRIBE shared.sub")
	al.OK("M2", `SETMETADATA INBOX.Sent (/private/comment "mine" /shared/comment "ours")`)
	al.OK("D2", "DELETE INBOX.a.b")
	bo := e.imap("bob", "bobpw")
	bo.OK("M3", `SETMETADATA user.alice (/private/comment "bobs note")`)
	bo.OK("X1", "SELECT user.alice")
	bo.OK("X2", "UID STORE 2 +FLAGS (\\Seen)")
	bo.OK("X3", "CLOSE")

	lap("Cyrus wrote")
	l := e.list(t)
	t.Run("mailboxes.db read by Gyrus = ctl_mboxlist -d", func(t *testing.T) {
		for _, args := range [][]string{{"-d"}, {"-d", "-y"}} {
			var buf bytes.Buffer
			l.Dump(&buf, mboxlist.DumpOptions{Intermediates: len(args) > 1})
			if real := e.cyrus("ctl_mboxlist", args...); real != buf.String() {
				t.Errorf("%v differs:\nGyrus:\n%s\nCyrus:\n%s", args, buf.String(), real)
			}
		}
		d, err := l.LookupAll("user.dave")
		if err != nil || d.Type&mboxlist.Deleted == 0 {
			t.Fatalf("dave's tombstone: %v %+v", err, d)
		}
	})
	ns := l.NS()
	alice, _ := l.Lookup("user.alice")
	sent, _ := l.Lookup("user.alice.Sent")
	t.Run("quota read by Gyrus = GETQUOTA", func(t *testing.T) {
		qdb, err := quota.Open(quota.OptionsFromConfig(mustConf(t, e.conf)))
		if err != nil {
			t.Fatal(err)
		}
		defer qdb.Close()
		q, err := qdb.Read("user.alice")
		if err != nil {
			t.Fatal(err)
		}
		u := a.OK("Q3", "GETQUOTA user.alice")
		want := fmt.Sprintf("* QUOTA user.alice (STORAGE %d %d MESSAGE %d %d)", q.Used[quota.Storage]/1024,
			q.Limit[quota.Storage], q.Used[quota.Message], q.Limit[quota.Message])
		if len(u) != 1 || u[0] != want {
			t.Errorf("GETQUOTA %q, Gyrus read %q", u, want)
		}
		if q.Used[quota.Message] != 2 || q.Used[quota.NumFolders] != 3 {
			t.Errorf("usage %+v", q)
		}
		if r, ok, _ := qdb.FindRoot("user.alice.Sent"); !ok || r != "user.alice" {
			t.Errorf("root %q", r)
		}
	})
	t.Run("subscriptions read by Gyrus = LSUB", func(t *testing.T) {
		sd, err := subs.Open(subs.Options{Path: l.UserFileOf("alice", "sub"), UserID: "alice", NS: ns})
		if err != nil {
			t.Fatal(err)
		}
		defer sd.Close()
		names, _ := sd.List()
		var ours []string
		for _, n := range names {
			ext, _ := ns.ToExternal(n, mboxname.Viewer{UserID: "alice"})
			ours = append(ours, ext)
		}
		var theirs []string
		for _, line := range al.OK("S4", `LSUB "" "*"`) {
			if m := regexp.MustCompile(`^\* LSUB \([^)]*\) "." (.*)$`).FindStringSubmatch(line); m != nil {
				theirs = append(theirs, strings.Trim(m[1], `"`))
			}
		}
		if strings.Join(ours, ",") != strings.Join(theirs, ",") {
			t.Errorf("Gyrus %v, LSUB %v", ours, theirs)
		}
	})
	t.Run("annotations read by Gyrus = GETMETADATA", func(t *testing.T) {
		p, b := annotate.PathFromConfig(mustConf(t, e.conf))
		adb, err := annotate.Open(p, b)
		if err != nil {
			t.Fatal(err)
		}
		defer adb.Close()
		check := func(c *harness.Conn, tag, mbox, entry string, tg annotate.Target, user string) {
			u := c.OK(tag, fmt.Sprintf("GETMETADATA %s (%s)", mbox, entry))
			val, ok, err := adb.Get(tg, strings.TrimPrefix(strings.TrimPrefix(entry, "/private"), "/shared"), user)
			if err != nil || !ok {
				t.Fatalf("%s %s: %v %v", mbox, entry, ok, err)
			}
			want := fmt.Sprintf(`("%s" "%s")`, entry, val)
			if len(u) != 1 || !strings.HasSuffix(u[0], want) {
				t.Errorf("GETMETADATA %s %s = %q, Gyrus read %q", mbox, entry, u, want)
			}
		}
		check(a, "G1", `""`, "/shared/comment", annotate.Server, "")
		st := annotate.Target{UniqueID: sent.UniqueID, Owner: "alice"}
		check(al, "G2", "INBOX.Sent", "/private/comment", st, "alice")
		check(al, "G3", "INBOX.Sent", "/shared/comment", st, "")
		check(bo, "G4", "user.alice", "/private/comment", annotate.Target{UniqueID: alice.UniqueID, Owner: "alice"}, "bob")
	})
	t.Run("seen state read by Gyrus = FETCH FLAGS", func(t *testing.T) {
		sdb, err := seen.Open(l.UserFileOf("bob", "seen"), "", false)
		if err != nil {
			t.Fatal(err)
		}
		defer sdb.Close()
		sd, err := sdb.Read(alice.UniqueID)
		if err != nil {
			t.Fatal(err)
		}
		bo.OK("X4", "EXAMINE user.alice")
		u := bo.OK("X5", "UID FETCH 1:* (FLAGS)")
		for _, line := range u {
			m := regexp.MustCompile(`UID (\d+) FLAGS \(([^)]*)\)`).FindStringSubmatch(line)
			if m == nil {
				continue
			}
			var uid uint32
			fmt.Sscan(m[1], &uid)
			if got := seen.Contains(sd.SeenUIDs, uid, sd.LastUID); got != strings.Contains(m[2], `\Seen`) {
				t.Errorf("uid %d: Gyrus seen=%v, imapd %q (seenuids %q)", uid, got, m[2], sd.SeenUIDs)
			}
		}
		if sd.SeenUIDs != "2" {
			t.Errorf("seenuids %q", sd.SeenUIDs)
		}
	})
	t.Run("mbpath -j = Cyrus's", func(t *testing.T) {
		// one run for both mailboxes; user.bob.Trash is a tombstone (an
		// error on stderr, and exit 65) in a run of its own, since Cyrus's
		// stdout is buffered and would come after its stderr
		for _, args := range [][]string{{"-j", "user.alice.Sent", "shared.sub"}, {"-a", "user.alice.Sent", "shared.sub"}, {"-j", "user.bob.Trash"}} {
			mine, _ := exec.Command(filepath.Join(e.bin, "mbpath"), append([]string{"-C", e.conf}, args...)...).CombinedOutput()
			real, _ := o.Tool(t, "mbpath", args...)
			if string(mine) != real {
				t.Errorf("mbpath %v:\nGyrus:\n%s\nCyrus:\n%s", args, mine, real)
			}
		}
	})
	l.Close()
	for _, c := range []*harness.Conn{a, al, bo} {
		c.Close()
	}

	lap("Gyrus read")
	// ---- Gyrus writes (instance stopped) ----
	e.ctl("stop")
	lap("oracle stopped")
	c := mustConf(t, e.conf)
	s, _ := mboxlist.SettingsFromConfig(c)
	qdb, err := quota.Open(quota.OptionsFromConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	s.Quota = qdb
	l, err = mboxlist.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	tomb, _ := l.LookupAll("user.dave")
	dave, err := l.Create(mboxlist.CreateRequest{Name: "user.dave", IsAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	if dave.UIDValidity <= tomb.UIDValidity {
		t.Errorf("uidvalidity %d not above the tombstone's %d", dave.UIDValidity, tomb.UIDValidity)
	}
	if err := l.SetQuota(qdb, "user.dave", map[quota.Resource]int64{quota.Storage: 2000, quota.NumFolders: 10}, false); err != nil {
		t.Fatal(err)
	}
	drafts, err := l.Create(mboxlist.CreateRequest{Name: "user.dave.Drafts", IsAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Create(mboxlist.CreateRequest{Name: "projects", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	if err := l.SetACL("user.dave.Drafts", "dave\tlrswipkxtecdan\talice\tlr\t"); err != nil {
		t.Fatal(err)
	}
	sd, err := subs.Open(subs.Options{Path: l.UserFileOf("dave", "sub"), UserID: "dave", NS: l.NS(), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	sd.Add("user.dave.Drafts")
	sd.Add("projects")
	sd.Close()
	p, b := annotate.PathFromConfig(c)
	adb, err := annotate.Open(p, b)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := s.Locate(dave)
	loc.UserLock = ""
	mb, err := mailbox.Open(loc, mailbox.Options{Quota: qdb}, mailbox.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := mb.Begin()
	if err := adb.SetMailbox(tx, annotate.Target{UniqueID: dave.UniqueID, Owner: "dave"}, "/comment", "dave", []byte("from gyrus")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	mb.Close()
	adb.Close()
	var ourDump bytes.Buffer
	l.Dump(&ourDump, mboxlist.DumpOptions{})
	l.Close()
	qdb.Close()
	exec.Command("chown", "-R", "cyrus:mail", filepath.Join(o.Dir, "lib"), filepath.Join(o.Dir, "spool"), filepath.Join(o.Dir, "run")).Run()

	lap("Gyrus wrote")
	t.Run("ctl_mboxlist -d of what Gyrus wrote", func(t *testing.T) {
		if real := e.cyrus("ctl_mboxlist", "-d"); real != ourDump.String() {
			t.Errorf("differs:\nGyrus:\n%s\nCyrus:\n%s", ourDump.String(), real)
		}
	})
	t.Run("quota of what Gyrus wrote", func(t *testing.T) {
		rep := e.cyrus("quota")
		for _, want := range []string{
			"    2000        0        0              STORAGE user.dave",
			"                         0              MESSAGE user.dave",
			"                        0 X-ANNOTATION-STORAGE user.dave",
			"      10       20        2        X-NUM-FOLDERS user.dave",
		} {
			if !strings.Contains(rep, want+"\n") {
				t.Errorf("quota lacks %q:\n%s", want, rep)
			}
		}
		// quota -f finds nothing to fix in what Gyrus counted
		if out := e.cyrus("quota", "-f", "user.dave"); strings.Contains(out, "usage was") {
			t.Errorf("quota -f fixed our usage:\n%s", out)
		}
	})
	t.Run("mbpath -j of what Gyrus wrote", func(t *testing.T) {
		// with two Xapian search tiers configured, whose directories
		// mbpath -j lists for users' mailboxes (one run for all three)
		f, err := os.OpenFile(e.conf, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "tempsearchpartition-default: %s/search-temp\narchivesearchpartition-default: %s/search-archive\n", o.Dir, o.Dir)
		f.Close()
		args := []string{"-j", "user.dave", "user.dave.Drafts", "projects"}
		mine, real := e.ours("mbpath", args...), e.cyrus("mbpath", args...)
		if mine != real {
			t.Errorf("Gyrus:\n%s\nCyrus:\n%s", mine, real)
		}
		if !strings.Contains(real, `"temp": "`+o.Dir+"/search-temp/user/uuid/") {
			t.Errorf("no temp tier in Cyrus's answer:\n%s", real)
		}
	})
	t.Run("cyr_dbtool reads Gyrus's subscriptions and annotations", func(t *testing.T) {
		l := e.list(t)
		subPath := l.UserFileOf("dave", "sub")
		l.Close()
		got := e.cyrus("cyr_dbtool", subPath, "flat", "show")
		if got != "\x1fVER\x1f\t2\nNINBOX\x1fDrafts\t\nNprojects\t\n" {
			t.Errorf("sub.db: %q", got)
		}
		ann := e.cyrus("cyr_dbtool", filepath.Join(o.Dir, "lib", "annotations.db"), "twoskip", "show")
		if !strings.Contains(ann, dave.UniqueID+"\x00/comment\x00[.OwNeR.]\x00\t\x00\x00\x00\x0a\x00\x00\x00\x00from gyrus\x00") {
			t.Errorf("annotations.db lacks dave's record:\n%q", ann)
		}
	})
	lap("Cyrus tools read")
	t.Run("real imapd serves what Gyrus wrote", func(t *testing.T) {
		e.ctl("start")
		lap("oracle restarted")
		d := e.imap("dave", "davepw")
		u := d.OK("L1", `LIST "" "*"`)
		if !harness.HasLine(u, `^\* LIST \(.*\) "\." INBOX$`) || !harness.HasLine(u, `^\* LIST \(.*\) "\." INBOX\.Drafts$`) || !harness.HasLine(u, `^\* LIST \(.*\) "\." projects$`) {
			t.Errorf("LIST:\n%s", strings.Join(u, "\n"))
		}
		u = d.OK("L2", `LSUB "" "*"`)
		if len(u) != 2 || !harness.HasLine(u, `INBOX\.Drafts$`) || !harness.HasLine(u, `projects$`) {
			t.Errorf("LSUB:\n%s", strings.Join(u, "\n"))
		}
		u = d.OK("L3", "GETQUOTAROOT INBOX.Drafts")
		if !harness.HasLine(u, `^\* QUOTA INBOX \(STORAGE 0 2000 X-NUM-FOLDERS 2 10\)$`) {
			t.Errorf("GETQUOTAROOT:\n%s", strings.Join(u, "\n"))
		}
		u = d.OK("L4", "GETACL INBOX.Drafts")
		if !harness.HasLine(u, `^\* ACL INBOX\.Drafts dave lrswipkxtecdan alice lr$`) {
			t.Errorf("GETACL:\n%s", strings.Join(u, "\n"))
		}
		u = d.OK("L5", "GETMETADATA INBOX (/private/comment)")
		if !harness.HasLine(u, `"from gyrus"\)$`) {
			t.Errorf("GETMETADATA:\n%s", strings.Join(u, "\n"))
		}
		u = d.OK("L6", "SELECT INBOX.Drafts")
		if !harness.HasLine(u, `^\* 0 EXISTS$`) || !harness.HasLine(u, fmt.Sprintf(`UIDVALIDITY %d\]`, drafts.UIDValidity)) {
			t.Errorf("SELECT:\n%s", strings.Join(u, "\n"))
		}
		d.OK("L7", "CREATE INBOX.Drafts.more")
		d.OK("L8", "RENAME INBOX.Drafts INBOX.Old")
		d.Close()
		// and Gyrus reads what Cyrus then did to Gyrus's mailboxes
		l := e.list(t)
		defer l.Close()
		var buf bytes.Buffer
		l.Dump(&buf, mboxlist.DumpOptions{})
		if real := e.cyrus("ctl_mboxlist", "-d"); real != buf.String() {
			t.Errorf("after Cyrus changed them:\nGyrus:\n%s\nCyrus:\n%s", buf.String(), real)
		}
		ie, err := l.LookupID(drafts.UniqueID)
		if err != nil || ie.Name != "user.dave.Old" || len(ie.History) == 0 || ie.History[0].Name != "user.dave.Drafts" {
			t.Errorf("history of a Gyrus-made mailbox renamed by Cyrus: %v %+v", err, ie)
		}
	})
}

func mustConf(t *testing.T, path string) *config.Config {
	c, err := config.Load(path, "test")
	if err != nil {
		t.Fatal(err)
	}
	return c
}
