package timsieved

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSieveshell drives Gyrus's timsieved with Cyrus's own client,
// sieveshell (Perl, Cyrus::SIEVE::managesieve over libsasl), when it is
// installed (it comes with the oracle's cyrus-admin/cyrus-clients).
func TestSieveshell(t *testing.T) {
	requireCompiler(t)
	shell, err := exec.LookPath("sieveshell")
	if err != nil {
		t.Skip("sieveshell is not installed")
	}
	in := startGyrus(t, makeCerts(t), nil, map[string]string{"alice": "alicepw"})
	dir := t.TempDir()
	script := "require \"fileinto\";\r\nif header :is \"x-list\" \"a\" { fileinto \"INBOX.a\"; }\r\n"
	os.WriteFile(filepath.Join(dir, "filter.siv"), []byte(script), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.siv"), []byte("fileinto \"x\";\r\n"), 0o644)
	cmds := strings.Join([]string{
		"put " + filepath.Join(dir, "filter.siv") + " filter",
		"put " + filepath.Join(dir, "broken.siv") + " broken",
		"activate filter",
		"list",
		"get filter " + filepath.Join(dir, "back.siv"),
	}, "\n") + "\n"
	exe := filepath.Join(dir, "cmds")
	os.WriteFile(exe, []byte(cmds), 0o644)
	cmd := exec.Command(shell, "--user=alice", "--authname=alice", "--password=alicepw", "--execfile="+exe, in.Addr("sieve"))
	cmd.Dir = dir
	done := make(chan struct{})
	var out []byte
	start := time.Now()
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("sieveshell did not finish: %s", out)
	}
	t.Logf("sieveshell (%s): %v\n%s", time.Since(start), err, out)
	if !strings.Contains(string(out), "filter  <- active script") {
		t.Errorf("list did not show the active script:\n%s", out)
	}
	if !strings.Contains(string(out), "line 1: fileinto: require 'fileinto'") && !strings.Contains(string(out), "upload failed") {
		t.Errorf("the broken script was not refused with its error:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "back.siv")); err != nil || string(b) != script {
		t.Errorf("get: %q %v", b, err)
	}
}
