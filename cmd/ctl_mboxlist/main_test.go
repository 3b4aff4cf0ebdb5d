package main

import (
	"bytes"
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
	code := tool.Run(program(), append([]string{"ctl_mboxlist"}, args...))
	os.Stdin, os.Stdout, os.Stderr = oi, oo, oe
	read := func(f *os.File) string { f.Seek(0, 0); b, _ := io.ReadAll(f); f.Close(); return string(b) }
	read(files[0])
	return code, read(files[1]), read(files[2])
}

func TestDumpUndumpVerify(t *testing.T) {
	conf, l := setup(t)
	var want bytes.Buffer
	l.Dump(&want, mboxlist.DumpOptions{})
	code, out, _ := runProg(t, "", "-C", conf, "-d")
	if code != 0 || out != want.String() {
		t.Fatalf("-d: %d\n%s\nwant\n%s", code, out, want.String())
	}
	// undump into another file, dump it again: the same but mtime
	other := filepath.Join(filepath.Dir(conf), "other.db")
	if code, _, errs := runProg(t, out, "-C", conf, "-u", "-f", other); code != 0 {
		t.Fatalf("-u: %d %s", code, errs)
	}
	_, again, _ := runProg(t, "", "-C", conf, "-d", "-f", other)
	if strings.Count(again, "\"uniqueid\"") != 3 || !strings.Contains(again, "\"user.alice.Sent\": {") {
		t.Fatalf("after undump:\n%s", again)
	}
	// -p filters, -x purges
	if _, out, _ := runProg(t, "", "-C", conf, "-d", "-p", "nosuch"); out != "{\n\n}\n" {
		t.Fatalf("-p: %q", out)
	}
	// legacy line form
	line := "user.bob\t0 default bob\tlrswipkxtecda\t>0123456789abcdefghijklmn 1700000000 1700000001 3 1\n"
	if code, _, errs := runProg(t, line, "-C", conf, "-u", "-L", "-f", other); code != 0 {
		t.Fatalf("-u -L: %s", errs)
	}
	_, out, _ = runProg(t, "", "-C", conf, "-d", "-f", other)
	if !strings.Contains(out, `"user.bob": {"name": "user.bob", "mtime": "`) ||
		!strings.Contains(out, `"uidvalidity": "1700000001", "createdmodseq": "1", "foldermodseq": "3", "mbtype": "e", "partition": "default", "acl": {"bob": "lrswipkxtecda"}, "uniqueid": "0123456789abcdefghijklmn"`) {
		t.Fatalf("legacy undump:\n%s", out)
	}
	// a clean list verifies clean
	if code, out, _ := runProg(t, "", "-C", conf, "-v"); code != 0 || out != "" {
		t.Fatalf("-v: %d %q", code, out)
	}
	// a header out of step with its record is reported and repaired
	e, _ := l.Lookup("user.alice.Sent")
	loc, _ := l.Settings().Locate(e)
	ne := e.Clone()
	ne.Name = "user.alice.Other"
	l.Update(func(tx *mboxlist.Tx) error { return tx.Put("user.alice.Sent", nil) })
	l.Update(func(tx *mboxlist.Tx) error { return tx.Put("user.alice.Other", ne) })
	code, out, _ = runProg(t, "", "-C", conf, "-v")
	if code != 0 || !strings.Contains(out, "'user.alice.Other' has a cyrus.header naming 'user.alice.Sent' (repaired)") {
		t.Fatalf("-v repair: %d %q (%s)", code, out, loc.Dir)
	}
	if _, out, _ := runProg(t, "", "-C", conf, "-v"); out != "" {
		t.Fatalf("after repair: %q", out)
	}
}

func TestUsage(t *testing.T) {
	conf, _ := setup(t)
	for _, args := range [][]string{{}, {"-d", "-u"}, {"-u", "-p", "x"}, {"-v", "-x"}, {"-d", "-L"}, {"-d", "-f", "a", "-f", "b"}, {"-d", "-a"}} {
		if code, _, errs := runProg(t, "", append([]string{"-C", conf}, args...)...); code != 1 || !strings.Contains(errs, "DUMP:") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
	code, _, errs := runProg(t, "", "-C", conf, "-m")
	if code != 1 || !strings.Contains(errs, "Murder (MUPDATE) is not supported") {
		t.Fatalf("-m: %d %q", code, errs)
	}
	code, _, errs = runProg(t, "{not json", "-C", conf, "-u")
	if code != 255 || !strings.Contains(errs, "parse error") {
		t.Fatalf("bad json: %d %q", code, errs)
	}
}
