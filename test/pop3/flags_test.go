package pop3

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"gyrus/test/harness"
)

// pop3d's own options under master: -s (pop3s: TLS before the greeting)
// and -p (an external layer: with a strength of 2 or more plain-text
// passwords are allowed even when allowplaintext is off).
func TestServiceFlags(t *testing.T) {
	t.Parallel()
	g := startGyrus(t, map[string]string{"allowplaintext": "no", "imap_allowplaintext": "yes"}, `
SERVICES {
  imap  cmd="imapd -C {conf}" listen="127.0.0.1:{port:imap}" prefork=1
  pop3  cmd="pop3d -C {conf}" listen="127.0.0.1:{port:pop3}" prefork=0
  pop3s cmd="pop3d -s -C {conf}" listen="127.0.0.1:{port:pop3s}" prefork=0
  pop3p cmd="pop3d -p 2 -C {conf}" listen="127.0.0.1:{port:pop3p}" prefork=0
  pop3w cmd="pop3d -p 1 -C {conf}" listen="127.0.0.1:{port:pop3w}" prefork=0
}
`)
	if err := g.CreateUser(User{Name: "flags", Password: "flagspw"}); err != nil {
		t.Fatal(err)
	}
	capa := func(c *harness.Conn) string {
		c.Send("CAPA")
		if l := c.ReadLine(); l != "+OK List of capabilities follows" {
			t.Fatalf("CAPA: %s", l)
		}
		var lines []string
		for l := c.ReadLine(); l != "."; l = c.ReadLine() {
			lines = append(lines, l)
		}
		return "|" + strings.Join(lines, "|") + "|"
	}

	t.Run("plain", func(t *testing.T) {
		c := g.Dial(t, "pop3")
		c.Expect(`\+OK localhost Gyrus POP3 `)
		if got := capa(c); strings.Contains(got, "|USER|") || !strings.Contains(got, "|STLS|") {
			t.Errorf("CAPA without TLS and without allowplaintext: %s", got)
		}
		if l := c.Line("USER flags"); l != "-ERR [AUTH] USER command only available under a layer" {
			t.Errorf("USER: %s", l)
		}
	})

	// STLS on the plain port: what the client pipelined behind STLS is
	// dropped (RFC 2595 / CVE-2011-0411-style injection), and under TLS
	// USER/PASS is allowed though allowplaintext is off.
	t.Run("stls", func(t *testing.T) {
		raw, err := net.DialTimeout("tcp", g.Addr("pop3"), 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		raw.SetDeadline(time.Now().Add(20 * time.Second))
		br := bufio.NewReader(raw)
		read := func(br *bufio.Reader) string {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			return strings.TrimRight(l, "\r\n")
		}
		if l := read(br); !strings.HasPrefix(l, "+OK localhost Gyrus POP3 ") {
			t.Fatalf("greeting: %s", l)
		}
		raw.Write([]byte("STLS\r\nQUIT\r\n"))
		if l := read(br); l != "+OK Begin TLS negotiation now" {
			t.Fatalf("STLS: %s", l)
		}
		if br.Buffered() != 0 {
			t.Fatalf("the server answered the pipelined QUIT in the clear")
		}
		tc := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
		if err := tc.Handshake(); err != nil {
			t.Fatalf("handshake after STLS: %v", err)
		}
		tbr := bufio.NewReader(tc)
		line := func(cmd string) string {
			tc.Write([]byte(cmd + "\r\n"))
			return read(tbr)
		}
		if l := line("CAPA"); l != "+OK List of capabilities follows" {
			t.Fatalf("CAPA after STLS (was the pipelined QUIT run?): %s", l)
		}
		var got []string
		for l := read(tbr); l != "."; l = read(tbr) {
			got = append(got, l)
		}
		all := "|" + strings.Join(got, "|") + "|"
		if strings.Contains(all, "|STLS|") || !strings.Contains(all, "|USER|") {
			t.Errorf("CAPA under TLS: %s", all)
		}
		if l := line("STLS"); l != "-ERR Already successfully executed STLS" {
			t.Errorf("second STLS: %s", l)
		}
		line("USER flags")
		if l := line("PASS flagspw"); !strings.HasPrefix(l, "+OK Mailbox locked and ready") {
			t.Errorf("PASS under STLS: %s", l)
		}
		if l := line("QUIT"); l != "+OK" {
			t.Errorf("QUIT: %s", l)
		}
	})

	t.Run("pop3s", func(t *testing.T) {
		raw := g.Dial(t, "pop3s")
		tc := tls.Client(raw.Net(), &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
		tc.SetDeadline(time.Now().Add(20 * time.Second))
		if err := tc.Handshake(); err != nil {
			t.Fatalf("pop3s handshake: %v", err)
		}
		br := bufio.NewReader(tc)
		line := func(send string) string {
			if send != "" {
				tc.Write([]byte(send + "\r\n"))
			}
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", send, err)
			}
			return strings.TrimRight(l, "\r\n")
		}
		if l := line(""); !strings.HasPrefix(l, "+OK localhost Gyrus POP3 ") {
			t.Fatalf("greeting over TLS: %s", l)
		}
		line("CAPA")
		var got []string
		for l := line(""); l != "."; l = line("") {
			got = append(got, l)
		}
		all := strings.Join(got, "|")
		if strings.Contains(all, "STLS") || !strings.Contains(all, "|USER|") || !strings.HasPrefix(all, "SASL PLAIN LOGIN") {
			t.Errorf("CAPA over pop3s: %s", all)
		}
		if l := line("STLS"); l != "-ERR Already successfully executed STLS" {
			t.Errorf("STLS over pop3s: %s", l)
		}
		line("USER flags")
		if l := line("PASS flagspw"); !strings.HasPrefix(l, "+OK Mailbox locked and ready") {
			t.Errorf("PASS over pop3s: %s", l)
		}
		if l := line("QUIT"); l != "+OK" {
			t.Errorf("QUIT: %s", l)
		}
	})

	t.Run("p2", func(t *testing.T) {
		c := g.Dial(t, "pop3p")
		c.Expect(`\+OK `)
		if got := capa(c); !strings.Contains(got, "|USER|") || !strings.HasPrefix(got, "|SASL PLAIN LOGIN|") {
			t.Errorf("CAPA with -p 2: %s", got)
		}
		c.Line("USER flags")
		if l := c.Line("PASS flagspw"); !strings.HasPrefix(l, "+OK Mailbox locked and ready") {
			t.Errorf("PASS with -p 2: %s", l)
		}
		c.Line("QUIT")
	})

	t.Run("p1", func(t *testing.T) {
		c := g.Dial(t, "pop3w")
		c.Expect(`\+OK `)
		if l := c.Line("USER flags"); l != "-ERR [AUTH] USER command only available under a layer" {
			t.Errorf("USER with -p 1: %s", l)
		}
	})
}
