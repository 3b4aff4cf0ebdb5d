package harness

import (
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestErrorLine(t *testing.T) {
	for line, want := range map[string]bool{
		"master[12]: service_disabled_until_sighup: service=x/ipv4":            true,
		"imap[3]: session_panic: panic=boom":                                   true,
		"imap[3]: accept_failed: error=x":                                      true,
		"imap[3]: config_error: error=x":                                       true,
		"master[1]: child_signaled_to_death: process=x":                        true,
		"panic: runtime error: index out of range":                             true,
		"WARNING: DATA RACE":                                                   true,
		"imap[3]: config_unknown_option: file=/tmp/TestPanicFailed/imapd.conf": false,
		"master[1]: ready_for_work":                                            false,
		"imap[3]: login: user=error host=[127.0.0.1]":                          false,
		"a line that is not from package log mentioning an error":              false,
	} {
		if got := ErrorLine(line); got != want {
			t.Errorf("ErrorLine(%q) = %v, want %v", line, got, want)
		}
	}
}

// An instance with nothing but master: start, template expansion, log,
// stop, no leftovers.
func TestEmptyInstance(t *testing.T) {
	in := Start(t, Options{CyrusConf: "# {dir} {run} {conf} {bin}\nSERVICES {\n}\n"})
	b, err := os.ReadFile(in.CyrusConf)
	if err != nil || !strings.Contains(string(b), in.Dir+" "+in.Run+" "+in.IMAPDConf+" "+in.Bin) {
		t.Errorf("expanded cyrus.conf %q, %v", b, err)
	}
	if in.Port("x") != in.Port("x") || in.Port("x") == in.Port("y") {
		t.Error("port names")
	}
	if !strings.Contains(in.Log(), "ready_for_work") {
		t.Errorf("log: %s", in.Log())
	}
	if code := in.Stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if len(in.ErrorLines()) != 0 {
		t.Errorf("error lines: %v", in.ErrorLines())
	}
}
