package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/lib/sasl"
	"gyrus/lib/sasl/store"
)

// runWith runs the command with input on a pipe (pipe mode, as when
// stdin is not a terminal).
func runWith(t *testing.T, input string, args ...string) (int, string, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString(input)
	w.Close()
	defer r.Close()
	var out, errb bytes.Buffer
	code := run(append([]string{"saslpasswd2"}, args...), r, &out, &errb)
	return code, out.String(), errb.String()
}

func check(t *testing.T, sasldbPath, id, pw string) error {
	t.Helper()
	a, err := sasl.New(sasl.Options{SasldbPath: sasldbPath, ServerName: "host.test"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.CheckPassword(context.Background(), id, []byte(pw))
	return err
}

func TestSetDeleteAndExitCodes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sasldb2")
	if c, _, e := runWith(t, "s3cret\n", "-p", "-c", "-f", db, "-u", "example.org", "alice"); c != 0 {
		t.Fatalf("create: %d %s", c, e)
	}
	if err := check(t, db, "alice@example.org", "s3cret"); err != nil {
		t.Errorf("alice: %v", err)
	}
	if check(t, db, "alice@example.org", "s3cret\n") == nil {
		t.Errorf("trailing newline kept in password")
	}
	// user@realm in the id wins over -u (first '@').
	if c, _, _ := runWith(t, "pw", "-f", db, "-u", "ignored", "bob@b.test"); c != 0 {
		t.Fatalf("bob: %d", c)
	}
	if err := check(t, db, "bob@b.test", "pw"); err != nil {
		t.Errorf("bob: %v", err)
	}
	// Multi-line input: only the final newline goes (one read, as libsasl).
	runWith(t, "a\nb\n", "-f", db, "-u", "r", "multi")
	if err := check(t, db, "multi@r", "a\nb"); err != nil {
		t.Errorf("multi: %v", err)
	}
	if c, _, _ := runWith(t, "", "-d", "-f", db, "-u", "example.org", "alice"); c != 0 {
		t.Errorf("delete: %d", c)
	}
	if err := check(t, db, "alice@example.org", "s3cret"); err == nil {
		t.Errorf("deleted user still logs in")
	}
	for _, c := range []struct {
		input string
		args  []string
		code  int
		msg   string
	}{
		{"\n", []string{"-f", db, "u"}, 7, "invalid parameter supplied"},
		{"x", []string{"-c", "-d", "-f", db, "u"}, 1, "usage:"},
		{"x", []string{"-f", db}, 1, "usage:"},
		{"x", []string{"-f", db, "a", "b"}, 1, "usage:"},
		{"x", []string{"-Z", "u"}, 1, "usage:"},
		{"x", []string{"-a", "a/b", "u"}, 1, "appname must not contain /"},
		{"x", []string{"-f", "/nonexistent/dir/sasldb2", "u"}, 1, "generic failure"},
		{"", []string{"-v"}, 0, "gyrus"},
		{"", []string{"-d", "-f", db, "nobody"}, 0, ""},
	} {
		code, _, e := runWith(t, c.input, c.args...)
		if code != c.code || !strings.Contains(e, c.msg) {
			t.Errorf("%v: exit %d (%q), want %d with %q", c.args, code, e, c.code, c.msg)
		}
	}
	data, _ := os.ReadFile(store.PathFor(db))
	if bytes.Contains(data, []byte("s3cret")) {
		t.Errorf("clear password on disk")
	}
}

// TestPromptsOnTerminal drives the prompts through a pseudo-terminal.
func TestPromptsOnTerminal(t *testing.T) {
	master, slave, err := openPTY()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	db := filepath.Join(t.TempDir(), "sasldb2")
	for _, c := range []struct {
		second string
		code   int
	}{{"same", 0}, {"other", 7}} {
		var out, errb bytes.Buffer
		done := make(chan int)
		go func() { done <- run([]string{"saslpasswd2", "-c", "-f", db, "-u", "r", "tty"}, slave, &out, &errb) }()
		time.Sleep(100 * time.Millisecond)
		master.WriteString("same\n")
		time.Sleep(100 * time.Millisecond)
		master.WriteString(c.second + "\n")
		code := <-done
		if code != c.code || !strings.HasPrefix(out.String(), "Password: Again (for verification): ") {
			t.Errorf("exit %d (want %d) out %q err %q", code, c.code, out.String(), errb.String())
		}
		if c.code == 7 && !strings.Contains(errb.String(), "passwords don't match; aborting") {
			t.Errorf("mismatch message %q", errb.String())
		}
	}
	if err := check(t, db, "tty@r", "same"); err != nil {
		t.Errorf("tty user: %v", err)
	}
}

func openPTY() (*os.File, *os.File, error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, err
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, s, nil
}

// TestTakeOverRealSasldb: a sasldb2 made by Cyrus SASL's own saslpasswd2
// keeps working; our saslpasswd2 changes and deletes users without
// writing it.
func TestTakeOverRealSasldb(t *testing.T) {
	real, err := exec.LookPath("saslpasswd2")
	if err != nil {
		t.Skip("Cyrus SASL saslpasswd2 (sasl2-bin) not installed")
	}
	db := filepath.Join(t.TempDir(), "sasldb2")
	for _, u := range []string{"old", "keep"} {
		cmd := exec.Command(real, "-p", "-c", "-f", db, "-u", "host.test", u)
		cmd.Stdin = strings.NewReader(u + "-pw")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("real saslpasswd2: %v %s", err, out)
		}
	}
	before, _ := os.ReadFile(db)
	if err := check(t, db, "old", "old-pw"); err != nil {
		t.Fatalf("old user from Berkeley DB: %v", err)
	}
	if c, _, e := runWith(t, "new-pw", "-f", db, "-u", "host.test", "old"); c != 0 {
		t.Fatal(e)
	}
	if check(t, db, "old", "old-pw") == nil || check(t, db, "old", "new-pw") != nil {
		t.Errorf("changed password not in force")
	}
	if c, _, e := runWith(t, "", "-d", "-f", db, "-u", "host.test", "keep"); c != 0 {
		t.Fatal(e)
	}
	if check(t, db, "keep", "keep-pw") == nil {
		t.Errorf("deleted user falls back to the Berkeley DB entry")
	}
	after, _ := os.ReadFile(db)
	if !bytes.Equal(before, after) {
		t.Errorf("the Berkeley DB file was modified")
	}
}
