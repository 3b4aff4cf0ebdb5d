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
	code := tool.Run(program(), append([]string{"cyr_deny"}, args...))
	os.Stdin, os.Stdout, os.Stderr = oi, oo, oe
	read := func(f *os.File) string { f.Seek(0, 0); b, _ := io.ReadAll(f); f.Close(); return string(b) }
	read(files[0])
	return code, read(files[1]), read(files[2])
}

func TestDenyList(t *testing.T) {
	conf, _ := setup(t)
	code, _, errs := runProg(t, "", "-C", conf, "-l")
	if code != 1 || errs != "cyr_deny: failed to open deny db: No such file or directory\n" {
		t.Fatalf("-l without db: %d %q", code, errs)
	}
	if code, _, errs := runProg(t, "", "-C", conf, "-s", "imap*,!pop3", "-m", "go away", "bob"); code != 0 {
		t.Fatalf("deny: %d %q", code, errs)
	}
	runProg(t, "", "-C", conf, "eve")
	code, out, _ := runProg(t, "", "-C", conf, "-l")
	want := "Username                       Service(s)           Message\n" +
		"bob                            imap*,!pop3          go away\n" +
		"eve                            *                    Access to this service has been blocked\n"
	if code != 0 || out != want {
		t.Fatalf("-l:\n%s\nwant\n%s", out, want)
	}
	runProg(t, "", "-C", conf, "-a", "bob")
	if _, out, _ := runProg(t, "", "-C", conf, "-l"); strings.Contains(out, "bob") {
		t.Fatal("bob still listed")
	}
	for _, args := range [][]string{{}, {"-l", "x"}, {"-a", "-l"}, {"-a", "-m", "x", "u"}, {"a", "b"}} {
		if code, _, errs := runProg(t, "", append([]string{"-C", conf}, args...)...); code != 64 || !strings.HasPrefix(errs, "Usage: cyr_deny") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
}
