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

// The client helpers, against the real Cyrus: an LMTP delivery, then the
// go-imap client and a raw transcript see it.
func TestOracleClients(t *testing.T) {
	o := StartOracle(t, OracleOptions{NoTLS: true})
	var target Target = o
	target.AddUser(t, "alice", "alicepw")

	l := LMTPClient(t, "tcp", target.Addr("lmtp"))
	if err := l.Mail("sender@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Rcpt("alice", nil); err != nil {
		t.Fatal(err)
	}
	w, err := l.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: harness\r\n\r\nhello\r\n"))
	resp, err := w.CloseWithLMTPResponse()
	if err != nil || len(resp) != 1 || resp["alice"] == nil {
		t.Fatalf("LMTP DATA: %v %v", resp, err)
	}

	c := IMAPClient(t, target.Addr("imap"))
	if err := c.Login("alice", "alicepw").Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil || sel.NumMessages != 1 {
		t.Fatalf("SELECT: %+v %v", sel, err)
	}

	r := DialConn(t, "tcp", target.Addr("imap"))
	r.ExpectUntagged("OK")
	r.OK("a1", "LOGIN alice alicepw")
	u := r.OK("a2", "SELECT INBOX")
	if !HasLine(u, `^\* 1 EXISTS`) {
		t.Errorf("untagged: %q", u)
	}
	r.Bad("a3", "NOSUCHCOMMAND")
	r.No("a4", "SELECT nosuchmailbox")
	r.Send("a5 LOGOUT")
	r.ExpectUntagged("BYE")
	r.Expect(`a5 OK`)
}

// SaslStore: the built saslpasswd2 writes Gyrus's password store.
func TestSaslStore(t *testing.T) {
	if !Have(t, "saslpasswd2") {
		t.Skip("saslpasswd2 is not built")
	}
	in := Start(t, Options{CyrusConf: "SERVICES {\n}\n", Users: map[string]string{"bob": "bobpw"}})
	b, err := os.ReadFile(in.Dir + "/etc/sasldb2.gyrus")
	if err != nil || !strings.Contains(string(b), "bob") {
		t.Errorf("password store: %q, %v", b, err)
	}
}
