package maint

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/reconstruct"
	"gyrus/test/harness"
)

// The fixture is one real Cyrus 3.6.1 instance (the oracle), filled once
// over LMTP and IMAP and then stopped: both reconstructs, Gyrus's and
// Cyrus's, run as tools on the same spool, restored from a pristine copy
// before each run. Gyrus's tools read the oracle's own imapd.conf.

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  string
	fixSkip string
)

type fixture struct {
	inst            // the oracle instance itself (filled, then stopped)
	base     string // its parent (removed at the end)
	bin      string // Gyrus tools built for the tests
	pristine string // copies of lib/ and spool/
	ports    map[string]int
	pool     chan *inst // copies of the instance for parallel tests
}

// inst is one instance directory: the oracle's, or a copy of it with its
// own imapd.conf (paths rewritten), so that tests can run in parallel.
type inst struct {
	f    *fixture
	dir  string
	conf string
}

// fullRuns (GYRUS_MAINT_FULL=1) runs every case of every test: all the
// kinds of damage of the catalogue, each chk_cyrus case with both -M and
// -P, each mbexamine option on every damaged spool. By default a subset
// runs that still covers each property (at least 25 kinds of damage,
// each option, each tool beside Cyrus), so that the package stays well
// under a minute in CI.
var fullRuns = os.Getenv("GYRUS_MAINT_FULL") != ""

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.teardown()
	}
	if harnessBin != "" {
		// what harness.Main would remove (this TestMain has its own end)
		os.RemoveAll(harnessBin)
	}
	os.Exit(code)
}

// harnessBin is the directory test/harness built programs into, when a
// test started a Gyrus instance.
var harnessBin string

func cyrusRef() string {
	if p := os.Getenv("GYRUS_CYRUS_REF"); p != "" {
		return p
	}
	return harness.OraclePath()
}

// getFixture starts (once) the oracle, fills it and stops its services.
func getFixture(t *testing.T) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixSkip, fixErr = setup() })
	if fixSkip != "" {
		t.Skip(fixSkip)
	}
	if fixErr != "" {
		t.Fatal(fixErr)
	}
	return fix
}

// buildTools builds the Gyrus programs under test, or links those of
// $GYRUS_BIN (make test has just built them there).
func buildTools(dir string) error {
	root := harness.ModuleRoot()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args := []string{"build", "-o", dir + "/"}
	for _, c := range tools {
		if _, err := os.Stat(filepath.Join(root, "cmd", c)); err != nil {
			continue
		}
		if src := prebuilt(c); src != "" {
			if err := os.Symlink(src, filepath.Join(dir, c)); err != nil {
				return err
			}
			continue
		}
		args = append(args, "./cmd/"+c)
	}
	if len(args) == 3 {
		return nil
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

// prebuilt is the path of a program in $GYRUS_BIN, or "" (not set, or
// the race detector wanted, or the program not there).
func prebuilt(name string) string {
	src := os.Getenv(harness.BinEnv)
	if src == "" || os.Getenv(harness.RaceEnv) == "1" {
		return ""
	}
	p, err := filepath.Abs(filepath.Join(src, name))
	if err != nil {
		return ""
	}
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	return p
}

var tools = []string{"reconstruct", "quota", "cyr_expire", "ipurge", "unexpunge", "chk_cyrus", "mbexamine", "cyr_df"}

func setup() (f *fixture, skip, fail string) {
	ref := cyrusRef()
	if _, err := os.Stat(ref); err != nil {
		return nil, "real Cyrus oracle not available: " + err.Error(), ""
	}
	if os.Geteuid() != 0 {
		return nil, "the Cyrus oracle needs root", ""
	}
	base, err := os.MkdirTemp("", "gyrus-maint-")
	if err != nil {
		return nil, "", err.Error()
	}
	os.Chmod(base, 0o755)
	f = &fixture{base: base, bin: filepath.Join(base, "bin"), ports: map[string]int{}}
	f.inst = inst{f: f, dir: filepath.Join(base, "cy")}
	f.conf = filepath.Join(f.dir, "etc", "imapd.conf")
	if err := buildTools(f.bin); err != nil {
		os.RemoveAll(base)
		return nil, "", err.Error()
	}
	args := []string{"start", f.dir, "--no-tls"}
	for _, p := range []string{"imap", "pop3", "lmtp", "sieve", "sync"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, "", err.Error()
		}
		f.ports[p] = l.Addr().(*net.TCPAddr).Port
		l.Close()
		args = append(args, "--"+p, strconv.Itoa(f.ports[p]))
	}
	out, err := exec.Command(ref, args...).CombinedOutput()
	if err != nil {
		os.RemoveAll(base)
		if bytes.Contains(out, []byte("root")) {
			return nil, "oracle cannot run: " + string(out), ""
		}
		return nil, "", fmt.Sprintf("cyrus-ref start: %v\n%s", err, out)
	}
	if err := f.fill(); err != nil {
		exec.Command(ref, "stop", f.dir).Run()
		os.RemoveAll(base)
		return nil, "", "fill: " + err.Error()
	}
	if out, err := exec.Command(ref, "stop", f.dir).CombinedOutput(); err != nil {
		return nil, "", fmt.Sprintf("cyrus-ref stop: %v\n%s", err, out)
	}
	// the state every test starts from
	f.pristine = filepath.Join(base, "pristine")
	os.MkdirAll(f.pristine, 0o755)
	for _, d := range []string{"lib", "spool"} {
		if out, err := exec.Command("cp", "-a", filepath.Join(f.dir, d), f.pristine+"/").CombinedOutput(); err != nil {
			return nil, "", fmt.Sprintf("cp: %v %s", err, out)
		}
	}
	workers := 2
	f.pool = make(chan *inst, workers)
	for i := 0; i < workers; i++ {
		in, err := f.copyInstance(fmt.Sprintf("w%d", i))
		if err != nil {
			return nil, "", err.Error()
		}
		f.pool <- in
	}
	return f, "", ""
}

// copyInstance makes a copy of the instance directory for parallel use.
func (f *fixture) copyInstance(name string) (*inst, error) {
	in := &inst{f: f, dir: filepath.Join(f.base, name)}
	in.conf = filepath.Join(in.dir, "etc", "imapd.conf")
	for _, d := range []string{"etc", "run/lock", "tmp"} {
		if err := os.MkdirAll(filepath.Join(in.dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	conf, err := os.ReadFile(f.conf)
	if err != nil {
		return nil, err
	}
	conf = bytes.ReplaceAll(conf, []byte(f.dir+"/"), []byte(in.dir+"/"))
	if err := os.WriteFile(in.conf, conf, 0o644); err != nil {
		return nil, err
	}
	return in, nil
}

// take gets an instance for a parallel subtest, given back at its end.
func (f *fixture) take(t *testing.T) *inst {
	in := <-f.pool
	t.Cleanup(func() { f.pool <- in })
	return in
}

func (f *fixture) teardown() {
	exec.Command(cyrusRef(), "stop", f.dir).Run()
	if os.Getenv("GYRUS_KEEP_ORACLE") == "" {
		os.RemoveAll(f.base)
	} else {
		fmt.Fprintf(os.Stderr, "maint: oracle kept in %s\n", f.dir)
	}
}

// restore puts lib/ and spool/ back as they were after the fill, owned
// by the cyrus user.
func (in *inst) restore(t *testing.T) {
	t.Helper()
	for _, d := range []string{"lib", "spool", "run/lock"} {
		os.RemoveAll(filepath.Join(in.dir, d))
	}
	for _, d := range []string{"lib", "spool"} {
		if err := copyTree(filepath.Join(in.f.pristine, d), filepath.Join(in.dir, d)); err != nil {
			t.Fatalf("restore: %v", err)
		}
	}
	os.MkdirAll(filepath.Join(in.dir, "run", "lock"), 0o755)
	in.chown(t)
}

// appendConf adds lines to the instance's imapd.conf for the rest of
// the test (the original is written back at its end) and returns the
// original contents.
func (in *inst) appendConf(t *testing.T, lines string) []byte {
	t.Helper()
	orig, err := os.ReadFile(in.conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.WriteFile(in.conf, orig, 0o644) })
	if err := os.WriteFile(in.conf, append(append([]byte{}, orig...), lines...), 0o644); err != nil {
		t.Fatal(err)
	}
	return orig
}

// copyTree copies a directory tree, keeping modes and times (the
// message files' mtimes are their internal dates).
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, de os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		st, err := de.Info()
		if err != nil {
			return err
		}
		if de.IsDir() {
			return os.MkdirAll(dst, st.Mode().Perm())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, st.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(dst, st.ModTime(), st.ModTime())
	})
}

// chown gives the instance back to the cyrus user after the test wrote
// into it as root.
func (in *inst) chown(t *testing.T) {
	t.Helper()
	uid, gid := cyrusIDs(t)
	for _, d := range []string{"lib", "spool", "run/lock"} {
		filepath.WalkDir(filepath.Join(in.dir, d), func(p string, _ os.DirEntry, err error) error {
			if err == nil {
				os.Lchown(p, uid, gid)
			}
			return nil
		})
	}
}

var (
	idsOnce           sync.Once
	cyrusUID, mailGID int
)

func cyrusIDs(t *testing.T) (int, int) {
	idsOnce.Do(func() {
		if u, err := user.Lookup("cyrus"); err == nil {
			cyrusUID, _ = strconv.Atoi(u.Uid)
		}
		if g, err := user.LookupGroup("mail"); err == nil {
			mailGID, _ = strconv.Atoi(g.Gid)
		}
	})
	return cyrusUID, mailGID
}

// cyrus runs a real Cyrus tool as the cyrus user and returns stdout and
// stderr. The binary is run directly when it is where cyrus-ref finds it
// (cyrus-ref tool itself costs a second a call).
func (in *inst) cyrus(t *testing.T, name string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return run(t, cyrusCmd(in, name, append([]string{"-C", in.conf}, args...)...))
}

// cyrusCmd is the command that runs a real Cyrus tool as the cyrus user
// with exactly these arguments (through cyrus-ref, which adds the
// instance's -C, when the binary is not where cyrus-ref finds it).
func cyrusCmd(in *inst, name string, args ...string) *exec.Cmd {
	bin := filepath.Join("/usr/lib/cyrus/bin", name)
	if _, err := os.Stat(bin); err == nil {
		return exec.Command("setpriv", append([]string{"--reuid=cyrus", "--regid=mail", "--init-groups", "--", bin}, args...)...)
	}
	if len(args) > 1 && args[0] == "-C" && args[1] == in.conf {
		args = args[2:]
	}
	return exec.Command(cyrusRef(), append([]string{"tool", in.dir, name}, args...)...)
}

// gyrusCmd is the command that runs a Gyrus tool with exactly these
// arguments.
func gyrusCmd(in *inst, name string, args ...string) *exec.Cmd {
	return exec.Command(filepath.Join(in.f.bin, name), args...)
}

// gyrus runs one of the Gyrus tools (as root: it switches to the cyrus
// user itself, as Cyrus's tools do).
func (in *inst) gyrus(t *testing.T, name string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return run(t, gyrusCmd(in, name, append([]string{"-C", in.conf}, args...)...))
}

func run(t *testing.T, cmd *exec.Cmd) (string, string, int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Env = append(os.Environ(), "TZ=UTC")
	start := time.Now()
	err := cmd.Run()
	if os.Getenv("MAINT_TIMING") != "" {
		t.Logf("%v %s %v", time.Since(start), filepath.Base(cmd.Path), cmd.Args[len(cmd.Args)-1])
	}
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s: %v", cmd.Path, err)
		}
		code = ee.ExitCode()
	}
	return o.String(), e.String(), code
}

// env opens the instance's databases through Gyrus's libraries (for
// inspection and for damage to mailboxes.db); closed at the end of t.
func (in *inst) env(t *testing.T) *reconstruct.Env {
	t.Helper()
	c, err := config.Load(in.conf, "maint-test")
	if err != nil {
		t.Fatal(err)
	}
	env, err := reconstruct.OpenEnv(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	return env
}

// location finds a mailbox's directory.
func (in *inst) location(t *testing.T, env *reconstruct.Env, name string) (mailbox.Location, *mboxlist.Entry) {
	t.Helper()
	e, err := env.List.Lookup(name)
	if err != nil {
		t.Fatalf("lookup %s: %v", name, err)
	}
	loc, err := env.List.Settings().Locate(e)
	if err != nil {
		t.Fatal(err)
	}
	return loc, e
}

// msgState is what the catalogue compares of one message.
type msgState struct {
	UID   uint32
	GUID  string
	Size  uint32
	Flags string // system and user flag names, sorted
}

func (m msgState) String() string {
	return fmt.Sprintf("%d %s %d [%s]", m.UID, m.GUID[:8], m.Size, m.Flags)
}

// boxState is a mailbox as lib/mailbox reads it: its live messages.
type boxState struct {
	UIDValidity uint32
	LastUID     uint32
	Msgs        []msgState
}

// state reads a mailbox through lib/mailbox (read-only).
func (in *inst) state(t *testing.T, name string) boxState {
	t.Helper()
	env := in.env(t)
	loc, _ := in.location(t, env, name)
	mb, err := mailbox.Open(loc, env.Mailbox, mailbox.ReadOnly)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer mb.Close()
	var s boxState
	h := mb.Header()
	s.UIDValidity, s.LastUID = h.UIDValidity, h.LastUID
	names := mb.UserFlags()
	err = mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if r.Expunged() {
			return nil
		}
		s.Msgs = append(s.Msgs, msgState{UID: r.UID, GUID: r.GUIDHex(), Size: r.Size, Flags: flagString(r, &names)})
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return s
}

func flagString(r *index.Record, names *[index.MaxUserFlags]string) string {
	fl := mailbox.FlagNames(r, names)
	sort.Strings(fl)
	return strings.Join(fl, " ")
}

// check runs lib/mailbox's full consistency check.
func (in *inst) check(t *testing.T, name string) []mailbox.Problem {
	t.Helper()
	env := in.env(t)
	loc, _ := in.location(t, env, name)
	mb, err := mailbox.Open(loc, env.Mailbox, mailbox.ReadOnly)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer mb.Close()
	probs, err := mb.Check(mailbox.CheckOptions{GUIDs: true})
	if err != nil {
		t.Fatalf("check %s: %v", name, err)
	}
	return probs
}

// ---- filling the instance

// messages delivered to alice's INBOX; the fill then sets flags, expunges
// and unlinks some, so that the pristine state has every kind of record.
var inboxMessages = []string{
	"From: Bob <bob@example.com>\r\nTo: alice@localhost\r\nSubject: plain one\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <m1@x>\r\n\r\nbody one\r\n",
	"From: Carol <carol@example.com>\r\nTo: alice@localhost\r\nCc: dave@example.com\r\nSubject: flagged with label\r\nDate: Tue, 2 Jan 2024 11:00:00 +0100\r\nMessage-ID: <m2@x>\r\n\r\nbody two\r\nmore\r\n",
	"From: Bob <bob@example.com>\r\nTo: alice@localhost\r\nSubject: gone\r\nDate: Wed, 3 Jan 2024 12:00:00 +0000\r\nMessage-ID: <m3@x>\r\n\r\nthis one is expunged and cleaned up\r\n",
	"From: Eve <eve@example.com>\r\nTo: alice@localhost\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nDate: Thu, 4 Jan 2024 13:00:00 -0500\r\nMessage-ID: <m4@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAwQF\r\n--b1--\r\n",
	"From: Bob <bob@example.com>\r\nTo: alice@localhost\r\nSubject: expunged but kept\r\nDate: Fri, 5 Jan 2024 14:00:00 +0000\r\nMessage-ID: <m5@x>\r\n\r\nexpunged, file still there\r\n",
	"From: Frank <frank@example.com>\r\nTo: alice@localhost\r\nSubject: no date here\r\nMessage-ID: <m6@x>\r\n\r\nno Date: header\r\n",
	"Received: from mx.example.com by localhost; Sat, 6 Jan 2024 15:00:00 +0000\r\nFrom: Grace <grace@example.com>\r\nTo: alice@localhost\r\nSubject: answered\r\nDate: Sat, 6 Jan 2024 15:00:00 +0000\r\nMessage-ID: <m7@x>\r\n\r\nanswered and seen\r\n",
	"From: Heidi <heidi@example.com>\r\nTo: alice@localhost\r\nSubject: deleted not expunged\r\nDate: Sun, 7 Jan 2024 16:00:00 +0000\r\nMessage-ID: <m8@x>\r\n\r\nstill \\Deleted\r\n",
	"From: Ivan <ivan@example.com>\r\nTo: alice@localhost\r\nSubject: draft\r\nDate: Mon, 8 Jan 2024 17:00:00 +0000\r\nMessage-ID: <m9@x>\r\n\r\na draft with a second label\r\n",
	"From: Judy <judy@example.com>\r\nTo: alice@localhost\r\nSubject: last\r\nDate: Tue, 9 Jan 2024 18:00:00 +0000\r\nMessage-ID: <m10@x>\r\n\r\nthe last one\r\n",
}

func (f *fixture) fill() error {
	ref := cyrusRef()
	for _, u := range []string{"alice", "bob"} {
		if out, err := exec.Command(ref, "adduser", f.dir, u, u+"pw").CombinedOutput(); err != nil {
			return fmt.Errorf("adduser: %v %s", err, out)
		}
	}
	if err := f.lmtp("alice", inboxMessages); err != nil {
		return err
	}
	if err := f.lmtp("bob", inboxMessages[:3]); err != nil {
		return err
	}
	a, err := f.imap("alice", "alicepw")
	if err != nil {
		return err
	}
	for _, c := range []string{
		"SELECT INBOX",
		"UID STORE 1 +FLAGS (\\Seen)",
		"UID STORE 2 +FLAGS (\\Flagged $Label1)",
		"UID STORE 3 +FLAGS (\\Deleted)",
		"UID EXPUNGE 3",
		"CREATE INBOX.sub",
		"CREATE INBOX.sub.deeper",
		"CREATE INBOX.Trash",
		"LOGOUT",
	} {
		if err := a.ok(c); err != nil && c != "LOGOUT" {
			return err
		}
	}
	a.close()
	// uid 3 leaves for good (record and file): the pristine state has a
	// UID gap; uid 5 below stays expunged with its file, for unexpunge
	if out, err := exec.Command(ref, "tool", f.dir, "cyr_expire", "-X", "0").CombinedOutput(); err != nil {
		return fmt.Errorf("cyr_expire: %v %s", err, out)
	}
	if a, err = f.imap("alice", "alicepw"); err != nil {
		return err
	}
	defer a.close()
	for _, c := range []string{
		"SELECT INBOX",
		"UID STORE 4 +FLAGS (\\Seen $Label1)",
		"UID STORE 5 +FLAGS (\\Deleted)",
		"UID EXPUNGE 5",
		"UID STORE 7 +FLAGS (\\Answered \\Seen)",
		"UID STORE 8 +FLAGS (\\Deleted)",
		"UID STORE 9 +FLAGS (\\Draft $Label2)",
		"DELETE INBOX.sub.deeper",
	} {
		if err := a.ok(c); err != nil {
			return err
		}
	}
	for _, c := range []string{"APPEND INBOX.sub (\\Seen) {%d}\r\n%s", "APPEND INBOX.sub (\\Flagged) {%d}\r\n%s"} {
		if err := a.appendLit(c, inboxMessages[9]); err != nil {
			return err
		}
	}
	// old mail in the Trash, whose expire annotation (1 day) is set below
	for _, m := range inboxMessages[5:7] {
		if err := a.appendLit("APPEND INBOX.Trash (\\Seen) {%d}\r\n%s", m); err != nil {
			return err
		}
	}
	adm, err := f.imap("cyrus", "cyrus-admin-pw")
	if err != nil {
		return err
	}
	defer adm.close()
	for _, c := range []string{
		"SETQUOTA user.alice (STORAGE 100000 MESSAGE 1000)",
		"SETQUOTA user.bob (STORAGE 1)",
		"CREATE shared",
		"CREATE shared.lists",
		"SETQUOTA shared (X-ANNOTATION-STORAGE 10)",
		"SETACL shared anyone lrswipkxtecdan",
		"SETMETADATA user.alice.Trash (/shared/vendor/cmu/cyrus-imapd/expire \"1\")",
	} {
		if err := adm.ok(c); err != nil {
			return err
		}
	}
	for i := 0; i < 3; i++ {
		if err := adm.appendLit("APPEND shared {%d}\r\n%s", inboxMessages[i]); err != nil {
			return err
		}
	}
	return nil
}

// lmtp delivers messages to user over the oracle's LMTP port.
func (f *fixture) lmtp(user string, msgs []string) error {
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", f.ports["lmtp"]))
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	expect := func(code string) error {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if !strings.HasPrefix(line, code) {
				return fmt.Errorf("lmtp: want %s, got %q", code, line)
			}
			if len(line) > 3 && line[3] == ' ' {
				return nil
			}
		}
	}
	if err := expect("220"); err != nil {
		return err
	}
	fmt.Fprintf(c, "LHLO test\r\n")
	if err := expect("250"); err != nil {
		return err
	}
	for _, m := range msgs {
		fmt.Fprintf(c, "MAIL FROM:<s@example.com>\r\n")
		if err := expect("250"); err != nil {
			return err
		}
		fmt.Fprintf(c, "RCPT TO:<%s@localhost>\r\n", user)
		if err := expect("250"); err != nil {
			return err
		}
		fmt.Fprintf(c, "DATA\r\n")
		if err := expect("354"); err != nil {
			return err
		}
		fmt.Fprintf(c, "%s.\r\n", m)
		if err := expect("250"); err != nil {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Fprintf(c, "QUIT\r\n")
	return nil
}

// imapConn is a minimal IMAP client: one command at a time.
type imapConn struct {
	c   net.Conn
	r   *bufio.Reader
	tag int
}

func (f *fixture) imap(user, pass string) (*imapConn, error) {
	return imapAt(fmt.Sprintf("127.0.0.1:%d", f.ports["imap"]), user, pass)
}

// imapAt logs in to an IMAP server at addr.
func imapAt(addr, user, pass string) (*imapConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	ic := &imapConn{c: c, r: bufio.NewReader(c)}
	if _, err := ic.r.ReadString('\n'); err != nil {
		return nil, err
	}
	return ic, ic.ok(fmt.Sprintf("LOGIN %s %s", user, pass))
}

func (ic *imapConn) close() { ic.c.Close() }

// ok sends a command and waits for its tagged OK.
func (ic *imapConn) ok(cmd string) error {
	ic.tag++
	tag := fmt.Sprintf("t%d", ic.tag)
	fmt.Fprintf(ic.c, "%s %s\r\n", tag, cmd)
	return ic.wait(tag, cmd)
}

func (ic *imapConn) wait(tag, cmd string) error {
	for {
		ic.c.SetReadDeadline(time.Now().Add(20 * time.Second))
		line, err := ic.r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, tag+" ") {
			if !strings.HasPrefix(line[len(tag)+1:], "OK") {
				return fmt.Errorf("%s: %s", cmd, line)
			}
			return nil
		}
	}
}

// appendLit sends an APPEND with a synchronising literal.
func (ic *imapConn) appendLit(format, msg string) error {
	ic.tag++
	tag := fmt.Sprintf("t%d", ic.tag)
	parts := strings.SplitN(fmt.Sprintf(format, len(msg), "\x00"), "\r\n", 2)
	fmt.Fprintf(ic.c, "%s %s\r\n", tag, parts[0])
	ic.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if line, err := ic.r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+") {
		return fmt.Errorf("append: %v %q", err, line)
	}
	fmt.Fprintf(ic.c, "%s\r\n", msg)
	return ic.wait(tag, "APPEND")
}

// UID2 is the message without its size: UID, GUID and flags.
func (m msgState) UID2() string {
	return strconv.FormatUint(uint64(m.UID), 10) + " " + m.GUID + " [" + m.Flags + "]"
}
