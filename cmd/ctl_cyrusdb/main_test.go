package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/lib/annotate/codec"
	"gyrus/lib/cyrusdb"
)

func TestMain(m *testing.M) {
	if os.Getenv("GYRUS_RUN_TOOL") != "" {
		os.Args[0] = "ctl_cyrusdb"
		main()
		return
	}
	os.Exit(m.Run())
}

func runTool(t *testing.T, conf string, args ...string) int {
	cmd := exec.Command(os.Args[0], append([]string{"-C", conf}, args...)...)
	cmd.Env = append(os.Environ(), "GYRUS_RUN_TOOL=1", "CYRUS_USER=root")
	cmd.Stderr = os.Stderr
	cmd.Run()
	return cmd.ProcessState.ExitCode()
}

func TestRecoverAndCheckpoint(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "imapd.conf")
	os.WriteFile(conf, []byte("configdirectory: "+dir+"\npartition-default: "+dir+"/spool\n"), 0o644)
	mb := filepath.Join(dir, "mailboxes.db")
	db, err := cyrusdb.Open(mb, "twoskip", cyrusdb.Create)
	if err != nil {
		t.Fatal(err)
	}
	db.Store([]byte("Nuser\x1falice"), []byte("%(T e)"))
	// Snapshot the file in the middle of a transaction: a crashed writer.
	tx, _ := db.Begin()
	tx.Store([]byte("Nuser\x1fbob"), []byte("%(T e)"))
	crashed, _ := os.ReadFile(mb)
	tx.Abort()
	db.Close()
	os.WriteFile(mb, crashed, 0o600)

	if rc := runTool(t, conf, "-r"); rc != 0 {
		t.Fatalf("-r exit %d", rc)
	}
	db, err = cyrusdb.Open(mb, "twoskip", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Fetch([]byte("Nuser\x1fbob")); err == nil {
		t.Fatal("uncommitted record survived recovery")
	}
	if v, _ := db.Fetch([]byte("Nuser\x1falice")); string(v) != "%(T e)" {
		t.Fatalf("committed record lost: %q", v)
	}
	if err := db.Consistent(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for i := 0; i < 2; i++ {
		if rc := runTool(t, conf, "-c"); rc != 0 {
			t.Fatalf("-c exit %d", rc)
		}
	}
	for _, p := range []string{"db.backup1/mailboxes.db", "db.backup2/mailboxes.db"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	if rc := runTool(t, conf, "-r", "-c"); rc != 255 {
		t.Fatalf("-r -c exit %d, want 255", rc)
	}
	if rc := runTool(t, conf, "-x"); rc != 255 {
		t.Fatalf("-x alone exit %d, want 255", rc)
	}
}

// -r also runs the mailboxes.db part of Cyrus's process_mboxlist (-x
// skips it): reserved entries are reported and stay, as with the real
// Cyrus (TestRecoverAsRealCyrus); a pre-3.6 database is upgraded and its
// pre-3.x specialuse becomes the owner's /specialuse annotation.
func TestRecoverCleansMailboxList(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "imapd.conf")
	os.WriteFile(conf, []byte("configdirectory: "+dir+"\npartition-default: "+dir+"/spool\n"), 0o644)
	mb := filepath.Join(dir, "mailboxes.db")
	db, err := cyrusdb.Open(mb, "twoskip", cyrusdb.Create)
	if err != nil {
		t.Fatal(err)
	}
	db.Store([]byte("Nuser\x1falice\x1fTmp"), []byte("%(T z I zzzzzzzzzzzzzzzzzzzzzzzz P default)"))
	db.Store([]byte("Izzzzzzzzzzzzzzzzzzzzzzzz"), []byte("%(T z N user\x1falice\x1fTmp P default)"))
	db.Close()
	has := func(key string) bool {
		db, err := cyrusdb.Open(mb, "twoskip", 0)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		_, err = db.Fetch([]byte(key))
		return err == nil
	}
	if rc := runTool(t, conf, "-r", "-x"); rc != 0 || !has("Nuser\x1falice\x1fTmp") {
		t.Fatalf("-r -x: exit %d, reserved entry kept: %v", rc, has("Nuser\x1falice\x1fTmp"))
	}
	if rc := runTool(t, conf, "-r"); rc != 0 {
		t.Fatalf("-r exit %d", rc)
	}
	if !has("Nuser\x1falice\x1fTmp") || !has("Izzzzzzzzzzzzzzzzzzzzzzzz") {
		t.Fatal("-r removed the reserved entry (Cyrus 3.6.1 keeps it)")
	}

	// a 2.x-era database
	os.Remove(mb)
	db, _ = cyrusdb.Open(mb, "twoskip", cyrusdb.Create)
	db.Store([]byte("user.alice"), []byte("(uniqueid aaaaaaaaaaaaaaaaaaaaaaaa) 0 default alice\tlrswipkxtecdan\t"))
	db.Store([]byte("user.alice.Sent"), []byte("(uniqueid bbbbbbbbbbbbbbbbbbbbbbbb specialuse \\Sent) 0 default alice\tlrswipkxtecdan\t"))
	db.Close()
	if rc := runTool(t, conf, "-r"); rc != 0 {
		t.Fatalf("-r exit %d", rc)
	}
	if !has("Nuser\x1falice\x1fSent") || !has("Ibbbbbbbbbbbbbbbbbbbbbbbb") || has("user.alice.Sent") {
		t.Fatal("not upgraded to 3.6 records")
	}
	adb, err := cyrusdb.Open(filepath.Join(dir, "annotations.db"), "twoskip", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	v, err := adb.Fetch(codec.Key("bbbbbbbbbbbbbbbbbbbbbbbb", "/specialuse", codec.OwnerToken))
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := codec.Decode(v); err != nil || string(rec.Value) != `\Sent` {
		t.Fatalf("annotation %q %v", rec.Value, err)
	}
}

// The real Cyrus 3.6.1 ctl_cyrusdb -r and ours, each on a copy of the same
// mailboxes.db (an active mailbox, a reservation left by a crashed create,
// a mailbox record without a uniqueid whose files are missing), leave
// byte-identical records as printed by the real cyr_dbtool.
func TestRecoverAsRealCyrus(t *testing.T) {
	const real = "/usr/lib/cyrus/bin/ctl_cyrusdb"
	if _, err := os.Stat(real); err != nil {
		t.Skip("real Cyrus not installed:", err)
	}
	if os.Getuid() != 0 {
		t.Skip("the real tools run as user cyrus: needs root")
	}
	for _, c := range []struct {
		name    string
		records [][2]string
	}{
		{"3.6 records", records36},
		{"pre-3.6 records", [][2]string{
			{"user.bob", "%(A %(bob lrswipkxtecdan) I bbbbbbbbbbbbbbbbbbbbbbbb P default T e M 1600000000 V 1500000000 F 5 C 1)"},
			{"user.bob.Old", "%(I cccccccccccccccccccccccc P default T ed F 3)"},
			{"user.bob.New", "%(A %(bob lrs) I cccccccccccccccccccccccc P default T e F 7)"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) { compareRecover(t, c.records) })
	}
}

var records36 = [][2]string{
	{"Nuser\x1falice", "%(T e I aaaaaaaaaaaaaaaaaaaaaaaa P default V 1 C 1 F 1 M 1 A %(alice lrswipkxtecdan))"},
	{"Iaaaaaaaaaaaaaaaaaaaaaaaa", "%(T e N user\x1falice P default V 1 C 1 F 1 M 1 A %(alice lrswipkxtecdan))"},
	{"Nuser\x1falice\x1fTmp", "%(T ez I zzzzzzzzzzzzzzzzzzzzzzzz P default V 1 C 1 F 1 M 1)"},
	{"Izzzzzzzzzzzzzzzzzzzzzzzz", "%(T ez N user\x1falice\x1fTmp P default V 1 C 1 F 1 M 1)"},
	{"Nuser\x1falice\x1fNoid", "%(T el P default V 1 C 1 F 1 M 1)"},
}

func compareRecover(t *testing.T, records [][2]string) {
	const real = "/usr/lib/cyrus/bin/ctl_cyrusdb"
	base, err := os.MkdirTemp("", "gyrus-ctl_cyrusdb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	show := map[string]string{}
	for _, who := range []string{"cyrus", "gyrus"} {
		dir := filepath.Join(base, who)
		os.MkdirAll(filepath.Join(dir, "conf", "db"), 0o755)
		conf := filepath.Join(dir, "imapd.conf")
		os.WriteFile(conf, []byte("configdirectory: "+dir+"/conf\npartition-default: "+dir+"/spool\n"), 0o644)
		db, err := cyrusdb.Open(filepath.Join(dir, "conf", "mailboxes.db"), "twoskip", cyrusdb.Create)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range records {
			db.Store([]byte(r[0]), []byte(r[1]))
		}
		db.Close()
		if who == "cyrus" {
			exec.Command("chown", "-R", "cyrus:mail", dir).Run()
			if out, err := exec.Command("setpriv", "--reuid=cyrus", "--regid=mail", "--init-groups", real, "-C", conf, "-r").CombinedOutput(); err != nil {
				t.Fatalf("real ctl_cyrusdb -r: %v %s", err, out)
			}
		} else if rc := runTool(t, conf, "-r"); rc != 0 {
			t.Fatalf("-r exit %d", rc)
		}
		exec.Command("chown", "-R", "cyrus:mail", dir).Run()
		out, err := exec.Command("setpriv", "--reuid=cyrus", "--regid=mail", "--init-groups", "/usr/lib/cyrus/bin/cyr_dbtool",
			"-C", conf, filepath.Join(dir, "conf", "mailboxes.db"), "twoskip", "show").Output()
		if err != nil {
			t.Fatalf("cyr_dbtool show: %v", err)
		}
		show[who] = string(out)
	}
	// an upgrade stamps the records with the time of the run (M): a
	// stamp of the last minute is masked, older ones are compared
	mt := regexp.MustCompile(` M ([0-9]+)`)
	for who, out := range show {
		show[who] = mt.ReplaceAllStringFunc(out, func(m string) string {
			n, _ := strconv.ParseInt(m[3:], 10, 64)
			if d := time.Now().Unix() - n; d >= 0 && d < 60 {
				return " M <now>"
			}
			return m
		})
	}
	if show["cyrus"] != show["gyrus"] {
		t.Fatalf("after -r:\nCyrus:\n%q\nGyrus:\n%q", show["cyrus"], show["gyrus"])
	}
	if strings.Count(show["gyrus"], "\n") < len(records) {
		t.Fatalf("records: %q", show["gyrus"])
	}
}
