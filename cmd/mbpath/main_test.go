package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gyrus/lib/config"
	"gyrus/lib/mboxlist"
	"gyrus/lib/tool"
)

// setup writes an imapd.conf for a temp spool and fills its mailbox list.
func setup(t *testing.T) (conf string, l *mboxlist.List) {
	t.Setenv("CYRUS_USER", os.Getenv("USER"))
	if os.Geteuid() == 0 {
		t.Setenv("CYRUS_USER", "root")
	}
	dir := t.TempDir()
	conf = filepath.Join(dir, "imapd.conf")
	os.WriteFile(conf, []byte("configdirectory: "+dir+"/conf\npartition-default: "+dir+"/spool\n"+
		"altnamespace: no\nunixhierarchysep: no\nhashimapspool: yes\n"), 0o644)
	c, err := config.Load(conf, "test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := mboxlist.SettingsFromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(dir+"/conf", 0o755)
	l, err = mboxlist.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for _, n := range []string{"user.alice", "user.alice.Sent", "shared"} {
		if _, err := l.Create(mboxlist.CreateRequest{Name: n, IsAdmin: true}); err != nil {
			t.Fatal(err)
		}
	}
	return conf, l
}

// run runs the program with stdin and returns its exit status, stdout and
// stderr.
func runProg(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	files := make([]*os.File, 3)
	for i := range files {
		f, err := os.CreateTemp(t.TempDir(), "io")
		if err != nil {
			t.Fatal(err)
		}
		files[i] = f
	}
	files[0].WriteString(stdin)
	files[0].Seek(0, 0)
	oi, oo, oe := os.Stdin, os.Stdout, os.Stderr
	os.Stdin, os.Stdout, os.Stderr = files[0], files[1], files[2]
	code := tool.Run(program(), append([]string{"mbpath"}, args...))
	os.Stdin, os.Stdout, os.Stderr = oi, oo, oe
	read := func(f *os.File) string { f.Seek(0, 0); b, _ := io.ReadAll(f); f.Close(); return string(b) }
	read(files[0])
	return code, read(files[1]), read(files[2])
}

func TestPaths(t *testing.T) {
	conf, l := setup(t)
	e, _ := l.Lookup("user.alice.Sent")
	loc, _ := l.Settings().Locate(e)
	code, out, _ := runProg(t, "", "-C", conf, "user.alice.Sent")
	if code != 0 || out != loc.Dir+"\n" {
		t.Fatalf("%d %q want %q", code, out, loc.Dir)
	}
	code, out, _ = runProg(t, "", "-C", conf, "-a", "user.alice")
	if code != 0 || !strings.HasPrefix(out, "Archive: ") || strings.Count(out, "\n") != 5 || !strings.Contains(out, "\nUser: "+l.UserFileOf("alice", "")+"\n") {
		t.Fatalf("-a: %q", out)
	}
	code, out, _ = runProg(t, "", "-C", conf, "-j", "-u", "alice")
	if code != 0 || !strings.Contains(out, `"intname": "user.alice"`) || !strings.Contains(out, `"seen": "`+l.UserFileOf("alice", "seen")+`"`) {
		t.Fatalf("-j: %s", out)
	}
	code, _, errs := runProg(t, "", "-C", conf, "user.nobody", "user.alice")
	if code != 0 || errs != "Invalid mailbox name: 'user.nobody'\n" {
		t.Fatalf("last name decides: %d %q", code, errs)
	}
	code, _, _ = runProg(t, "", "-C", conf, "-q", "user.alice", "user.nobody")
	if code != 65 {
		t.Fatalf("missing: %d", code)
	}
	code, _, errs = runProg(t, "", "-C", conf, "-s", "user.nobody", "user.alice")
	if code != 65 || !strings.Contains(errs, "Error in processing mailbox. Stopping") {
		t.Fatalf("-s: %d %q", code, errs)
	}
	for _, args := range [][]string{{"-a", "-D", "x"}, {"-m", "-M", "x"}} {
		if code, _, errs := runProg(t, "", append([]string{"-C", conf}, args...)...); code != 64 || !strings.HasSuffix(errs, "ERROR: Duplicate selectors given") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
	if code, _, errs := runProg(t, "", "-C", conf, "-u", "-p", "x"); code != 64 || !strings.HasSuffix(errs, "ERROR: Multiple modes given") {
		t.Errorf("-u -p: %d %q", code, errs)
	}
}

// -j lists a user's Xapian directory per search tier configured for the
// mailbox's partition: by INBOX uniqueid, or by name for a legacy INBOX
// (Cyrus user_hash_xapian); shared mailboxes have no xapian object.
func TestJSONXapianTiers(t *testing.T) {
	conf, l := setup(t)

	f, _ := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("tempsearchpartition-default: /s/temp\narchivesearchpartition-other: /s/arch\n")
	f.Close()
	in, _ := l.Lookup("user.alice")
	code, out, errs := runProg(t, "", "-C", conf, "-j", "user.alice.Sent")
	want := `"xapian": {
    "temp": "/s/temp/user/uuid/` + in.UniqueID[:1] + "/" + in.UniqueID[1:2] + "/" + in.UniqueID + `"
  }`
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("%d %s %s\nwant %s", code, out, errs, want)
	}
	if code, out, _ := runProg(t, "", "-C", conf, "-j", "shared"); code != 0 || strings.Contains(out, "xapian") {
		t.Fatalf("shared: %d %s", code, out)
	}
	// a legacy user: the directory goes by name, hashed
	if err := l.Update(func(tx *mboxlist.Tx) error {
		e, err := tx.Lookup("user.alice")
		if err != nil {
			return err
		}
		e.Type |= mboxlist.LegacyDirs
		return tx.Put(e.Name, e)
	}); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runProg(t, "", "-C", conf, "-j", "user.alice.Sent")
	if code != 0 || !strings.Contains(out, `"temp": "/s/temp/a/user/alice"`) {
		t.Fatalf("legacy: %d %s %s", code, out, errs)
	}
}
