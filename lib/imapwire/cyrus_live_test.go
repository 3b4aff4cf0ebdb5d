package imapwire

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCyrusLive starts the real Cyrus 3.6.1 (the oracle, see
// /work/shared/oracle/README.md), sends it the probes of
// testdata/cyrus_probes.txt with testdata/cyrus_record.py, and compares its
// answers with the parser's. By default every 8th probe is sent (about 30
// seconds in all, most of it starting Cyrus); IMAPWIRE_CYRUS_FULL=1 sends them all (about a minute).
// To refresh testdata/cyrus_answers.jsonl, run the script by hand with a
// 3-second timeout.
func TestCyrusLive(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: the oracle takes ~20 s")
	}
	ref := os.Getenv("CYRUS_REF")
	if ref == "" {
		ref = "/work/shared/oracle/cyrus-ref"
	}
	if _, err := os.Stat(ref); err != nil {
		t.Skipf("oracle script %s absent", ref)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 absent")
	}
	base, err := os.MkdirTemp("/tmp", "imapwire-cyrus-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	dir := filepath.Join(base, "ref")
	os.Mkdir(dir, 0o755)
	var ports []string
	for i := 0; i < 5; i++ {
		ports = append(ports, strconv.Itoa(freePort(t)))
	}
	start := exec.Command(ref, "start", dir, "--imap", ports[0], "--pop3", ports[1],
		"--lmtp", ports[2], "--sieve", ports[3], "--sync", ports[4])
	if out, err := start.CombinedOutput(); err != nil {
		exec.Command(ref, "stop", dir).Run()
		if strings.Contains(string(out), "root") {
			t.Skipf("oracle cannot run: %s", out)
		}
		t.Fatalf("cyrus-ref start: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(ref, "stop", dir).CombinedOutput(); err != nil {
			t.Logf("cyrus-ref stop: %v\n%s", err, out)
		}
		os.RemoveAll(base)
	})
	if out, err := exec.Command(ref, "adduser", dir, "alice", "alicepw").CombinedOutput(); err != nil {
		t.Fatalf("adduser: %v\n%s", err, out)
	}
	every := "8"
	if os.Getenv("IMAPWIRE_CYRUS_FULL") != "" {
		every = "1"
	}
	out := filepath.Join(base, "answers.jsonl")
	rec := exec.Command("python3", "testdata/cyrus_record.py", "127.0.0.1", ports[0],
		"alice", "alicepw", "testdata/cyrus_probes.txt", out, "1", every)
	if b, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("cyrus_record.py: %v\n%s", err, b)
	}
	probes := loadProbes(t, out)
	if len(probes) < 50 {
		t.Fatalf("only %d probes answered", len(probes))
	}
	for _, pr := range probes {
		compareProbe(t, pr, Options{})
	}
	t.Logf("compared %d probes with live Cyrus", len(probes))
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
