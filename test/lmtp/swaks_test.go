package lmtp_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// swaksDifferential drives both servers the way Postfix does (swaks,
// LMTP with PIPELINING, many recipients in one transaction) and compares
// what the servers answered and what they stored.
func swaksDifferential(t *testing.T, p *pair) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("swaks is not installed (apt-get install swaks)")
	}
	bobBefore := len(filesIn(t, p.gdirs["user.bob"]))
	dir := t.TempDir()
	body := filepath.Join(dir, "msg.eml")
	os.WriteFile(body, []byte(msg("swaks1")+"\r\n.leading dot\r\n"), 0o644)
	rcpts := []string{"alice", "bob", "nobody", "+shared", "+noacl", "alice+Work", "UPPER", "quser", "dupe", "dupe", "alice+Private", "ghost"}
	for i := 0; i < 8; i++ {
		rcpts = append(rcpts, "bob") // duplicates within the transaction
	}
	serverLine := regexp.MustCompile(`^ *(<[-~*]|\*\*\*) `)
	run := func(s server, network string, args ...string) (int, []string) {
		target := []string{"--server", s.LMTPAddr()}
		if network == "unix" {
			target = []string{"--socket", s.UnixSocket()}
		}
		cmd := exec.Command(swaks, append(append([]string{"--protocol", "LMTP", "--pipeline", "--helo", "mta.example",
			"--from", "sender@example.com", "--to", strings.Join(rcpts, ","), "--data", body, "--timeout", "30"}, target...), args...)...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(string(out), "\n") {
			if serverLine.MatchString(l) {
				lines = append(lines, normReply(strings.TrimRight(l, "\r")))
			}
		}
		return code, lines
	}
	for _, network := range []string{"tcp", "unix"} {
		cc, cl := run(p.c, network)
		gc, gl := run(p.g, network)
		if cc != gc || !equalStrings(cl, gl) {
			t.Errorf("swaks over %s: cyrus exit %d, gyrus exit %d\n--- cyrus\n%s\n--- gyrus\n%s", network, cc, gc, strings.Join(cl, "\n"), strings.Join(gl, "\n"))
		}
		if len(gl) < len(rcpts) {
			t.Errorf("swaks over %s: only %d server lines", network, len(gl))
		}
	}
	cs, gs := snapshot(t, p.c, p.cdirs), snapshot(t, p.g, p.gdirs)
	for _, m := range p.mailbox {
		if !equalStrings(cs[m], gs[m]) {
			t.Errorf("%s differs: cyrus %d messages, gyrus %d\n%s", m, len(cs[m]), len(gs[m]), firstDiff(cs[m], gs[m]))
		}
	}
	if n := len(gs["user.bob"]) - bobBefore; n != 1 || len(gs["user.alice"]) == 0 {
		t.Errorf("bob got %d messages (duplicates must be suppressed), alice has %d", n, len(gs["user.alice"]))
	}
}
