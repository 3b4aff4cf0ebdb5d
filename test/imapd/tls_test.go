package imapd

import (
	"crypto/tls"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// TestTLS checks STARTTLS (RFC 3501 §6.2.1) on the plain port and
// implicit TLS (imapd -s, RFC 8314) on the imaps port, with go-imap and
// with imaplib, from a certificate made here.
func TestTLS(t *testing.T) {
	t.Parallel()
	s := startServer(t, true)
	deliver(t, s, "alice", newMail("over tls"))
	opts := &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}}

	// what the server offers in clear, and that LOGIN works after TLS
	raw := s.Dial(t, "imap")
	raw.ExpectUntagged("OK")
	if caps := raw.OK("c1", "CAPABILITY"); !offers(caps, "STARTTLS") {
		t.Fatalf("no STARTTLS in the clear: %q", caps)
	}
	raw.Close()

	for _, mode := range []string{"starttls", "imaps"} {
		t.Run("go-imap "+mode, func(t *testing.T) {
			var c *imapclient.Client
			var err error
			if mode == "starttls" {
				c, err = imapclient.DialStartTLS(s.Addr("imap"), opts)
			} else {
				c, err = imapclient.DialTLS(s.Addr("imaps"), opts)
			}
			if err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			defer c.Close()
			caps, err := c.Capability().Wait()
			if err != nil {
				t.Fatal(err)
			}
			if caps.Has(imap.CapStartTLS) || caps.Has(imap.CapLoginDisabled) {
				t.Errorf("after TLS the server still offers STARTTLS or LOGINDISABLED: %v", caps)
			}
			if err := c.Login("alice", alicePass).Wait(); err != nil {
				t.Fatalf("LOGIN over %s: %v", mode, err)
			}
			sel, err := c.Select("INBOX", nil).Wait()
			if err != nil || sel.NumMessages != 1 {
				t.Fatalf("SELECT over %s: %+v %v", mode, sel, err)
			}
			m, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true}).Collect()
			if err != nil || len(m) != 1 || m[0].Envelope.Subject != "over tls" {
				t.Fatalf("FETCH ENVELOPE over %s: %v", mode, err)
			}
			if err := c.Logout().Wait(); err != nil {
				t.Errorf("LOGOUT: %v", err)
			}
		})
		t.Run("imaplib "+mode, func(t *testing.T) {
			py := python(t)
			port := "imap"
			if mode == "imaps" {
				port = "imaps"
			}
			host, p, _ := strings.Cut(s.Addr(port), ":")
			out, err := exec.Command(py, filepath.Join("testdata", "session.py"), host, p, "alice", alicePass, "--tls", mode).CombinedOutput()
			if err != nil {
				t.Fatalf("session.py --tls %s: %v\n%s", mode, err, out)
			}
			var r struct {
				Version    string   `json:"version"`
				Cipher     string   `json:"cipher"`
				CapsBefore []string `json:"caps_before"`
				Caps       []string `json:"caps"`
				Exists     int      `json:"exists"`
			}
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatalf("session.py --tls %s: %v\n%s", mode, err, out)
			}
			t.Logf("imaplib %s: %s %s", mode, r.Version, r.Cipher)
			if r.Version != "TLSv1.2" && r.Version != "TLSv1.3" {
				t.Errorf("TLS version %q", r.Version)
			}
			if mode == "starttls" && !slices.Contains(r.CapsBefore, "STARTTLS") {
				t.Errorf("capabilities before STARTTLS: %v", r.CapsBefore)
			}
			if slices.Contains(r.Caps, "STARTTLS") || r.Exists != 1 {
				t.Errorf("after TLS: capabilities %v, INBOX %d messages (want no STARTTLS, 1)", r.Caps, r.Exists)
			}
		})
	}
}

func offers(lines []string, word string) bool {
	for _, l := range lines {
		if slices.Contains(strings.Fields(l), word) {
			return true
		}
	}
	return false
}
