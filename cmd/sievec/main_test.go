package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gyrus/lib/tool"
)

// runSievec runs sievec with a private imapd.conf, as the current user.
func runSievec(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "imapd.conf")
	if err := os.WriteFile(conf, []byte("configdirectory: "+dir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CYRUS_USER", currentUser(t))
	var stderr bytes.Buffer
	code := tool.Run(program(strings.NewReader(stdin), &stderr), append([]string{"sievec", "-C", conf}, args...))
	return code, stderr.String()
}

func currentUser(t *testing.T) string {
	if os.Geteuid() == 0 {
		return "root"
	}
	u := os.Getenv("USER")
	if u == "" {
		t.Skip("no USER")
	}
	return u
}

func TestCompileToFile(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "s.sieve"), filepath.Join(dir, "s.bc")
	os.WriteFile(in, []byte("require \"fileinto\";\nfileinto \"INBOX.x\";\n"), 0o644)
	os.WriteFile(out, []byte("old"), 0o644)
	if code, msg := runSievec(t, "", in, out); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	bc, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(bc, []byte("CyrSBytecode")) {
		t.Fatalf("output %q %v", bc, err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".s.bc.tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// the same from standard input
	out2 := filepath.Join(dir, "stdin.bc")
	if code, msg := runSievec(t, "require \"fileinto\";\nfileinto \"INBOX.x\";\n", "-", out2); code != 0 {
		t.Fatalf("stdin: exit %d: %s", code, msg)
	}
	if bc2, _ := os.ReadFile(out2); !bytes.Equal(bc, bc2) {
		t.Error("stdin and file compile differently")
	}
}

func TestFailures(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.sieve")
	os.WriteFile(bad, []byte("keep;\nfileinto \"x\";\n"), 0o644)
	out := filepath.Join(dir, "bad.bc")
	code, msg := runSievec(t, "", bad, out)
	want := "Unable to parse script: script errors:\r\nline 2: fileinto extension MUST be enabled with \"require\" command\r\n"
	if code != 1 || msg != want {
		t.Errorf("bad script: exit %d, %q", code, msg)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("output written for a bad script")
	}
	if code, msg := runSievec(t, "", filepath.Join(dir, "missing"), out); code != 1 || msg != "Unable to open "+filepath.Join(dir, "missing")+" for reading\n" {
		t.Errorf("missing script: exit %d, %q", code, msg)
	}
	// (the usage text goes to the process's stderr, through package tool)
	if code, _ := runSievec(t, "", bad); code != 1 {
		t.Errorf("one operand: exit %d", code)
	}
}
