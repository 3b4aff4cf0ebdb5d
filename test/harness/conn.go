package harness

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

// DefaultCyrusConf is the cyrus.conf template Start uses without
// Options.CyrusConf: IMAP, POP3, LMTP (TCP, pre-authorised, and a UNIX
// socket for deliver) and ManageSieve on loopback, for the programs that
// were built.
func DefaultCyrusConf(t testing.TB) string {
	var b strings.Builder
	b.WriteString("SERVICES {\n")
	add := func(prog, line string) {
		if Have(t, prog) {
			b.WriteString("  " + line + "\n")
		}
	}
	add("imapd", `imap cmd="imapd -C {conf}" listen="127.0.0.1:{port:imap}" prefork=1`)
	add("pop3d", `pop3 cmd="pop3d -C {conf}" listen="127.0.0.1:{port:pop3}" prefork=0`)
	add("lmtpd", `lmtp cmd="lmtpd -a -C {conf}" listen="127.0.0.1:{port:lmtp}" prefork=0`)
	add("lmtpd", `lmtpunix cmd="lmtpd -C {conf}" listen="{run}/lmtp" prefork=0`)
	add("timsieved", `sieve cmd="timsieved -C {conf}" listen="127.0.0.1:{port:sieve}" prefork=0`)
	b.WriteString("}\n")
	return b.String()
}

// Conn is a raw line client for transcript tests, in the style of mox's
// tests: send a line, expect lines back. Every read has a deadline
// (Timeout, default 10 s); a failed expectation fails the test.
type Conn struct {
	t       testing.TB
	c       net.Conn
	r       *bufio.Reader
	Timeout time.Duration
	// Log, when set, records every line sent (C: ) and received (S: ).
	Log []string
}

// Dial connects a Conn to 127.0.0.1:<port of name>.
func (in *Instance) Dial(t testing.TB, name string) *Conn {
	t.Helper()
	return DialConn(t, "tcp", in.Addr(name))
}

// DialConn connects a Conn to any address; it is closed at cleanup.
func DialConn(t testing.TB, network, addr string) *Conn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &Conn{t: t, c: c, r: bufio.NewReader(c), Timeout: 10 * time.Second}
}

// Net returns the underlying connection.
func (c *Conn) Net() net.Conn { return c.c }

// Close closes the connection.
func (c *Conn) Close() { c.c.Close() }

// Send writes one line (CRLF added).
func (c *Conn) Send(format string, args ...any) {
	c.t.Helper()
	line := fmt.Sprintf(format, args...)
	c.Log = append(c.Log, "C: "+line)
	c.c.SetWriteDeadline(time.Now().Add(c.Timeout))
	if _, err := c.c.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatalf("send %q: %v", line, err)
	}
}

// TryReadLine reads one line without its CRLF, returning the error
// instead of failing (for "the server closed the connection" checks).
func (c *Conn) TryReadLine() (string, error) {
	c.c.SetReadDeadline(time.Now().Add(c.Timeout))
	l, err := c.r.ReadString('\n')
	if err != nil {
		return l, err
	}
	l = strings.TrimRight(l, "\r\n")
	c.Log = append(c.Log, "S: "+l)
	return l, nil
}

// ReadLine reads one line without its CRLF.
func (c *Conn) ReadLine() string {
	c.t.Helper()
	l, err := c.TryReadLine()
	if err != nil {
		c.t.Fatalf("read line: %v (after %q)\n%s", err, l, strings.Join(c.Log, "\n"))
	}
	return l
}

// Expect reads a line that must match the regular expression re
// (anchored at the start) and returns it.
func (c *Conn) Expect(re string) string {
	c.t.Helper()
	l := c.ReadLine()
	if !regexp.MustCompile("^(?:" + re + ")").MatchString(l) {
		c.t.Fatalf("got %q, want a line matching %q\n%s", l, re, strings.Join(c.Log, "\n"))
	}
	return l
}

// Line sends a line and returns the one line of answer.
func (c *Conn) Line(format string, args ...any) string {
	c.t.Helper()
	c.Send(format, args...)
	return c.ReadLine()
}

// ExpectClosed waits for the server to close the connection, returning
// what it still sent.
func (c *Conn) ExpectClosed() []string {
	c.t.Helper()
	var got []string
	for {
		l, err := c.TryReadLine()
		if err != nil {
			if l != "" {
				got = append(got, l)
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.t.Fatalf("connection still open after %v; got %q", c.Timeout, got)
			}
			return got
		}
		got = append(got, l)
	}
}

// ---- IMAP transcripts ---------------------------------------------------------

// Command sends "tag cmd" and reads up to the tagged answer: it returns
// the untagged lines and the tagged status line without its tag.
func (c *Conn) Command(tag, cmd string) (untagged []string, status string) {
	c.t.Helper()
	c.Send("%s %s", tag, cmd)
	for {
		l := c.ReadLine()
		if rest, ok := strings.CutPrefix(l, tag+" "); ok {
			return untagged, rest
		}
		untagged = append(untagged, l)
	}
}

func (c *Conn) expectStatus(want, tag, cmd string) []string {
	c.t.Helper()
	u, st := c.Command(tag, cmd)
	if !strings.HasPrefix(st, want) {
		c.t.Fatalf("%s %s: got %q, want %s\n%s", tag, cmd, st, want, strings.Join(c.Log, "\n"))
	}
	return u
}

// OK runs an IMAP command that must answer OK; it returns the untagged lines.
func (c *Conn) OK(tag, cmd string) []string { c.t.Helper(); return c.expectStatus("OK", tag, cmd) }

// No runs an IMAP command that must answer NO.
func (c *Conn) No(tag, cmd string) []string { c.t.Helper(); return c.expectStatus("NO", tag, cmd) }

// Bad runs an IMAP command that must answer BAD.
func (c *Conn) Bad(tag, cmd string) []string { c.t.Helper(); return c.expectStatus("BAD", tag, cmd) }

// ExpectUntagged reads one untagged line ("* " + prefix...).
func (c *Conn) ExpectUntagged(prefix string) string {
	c.t.Helper()
	return c.Expect(regexp.QuoteMeta("* " + prefix))
}

// HasLine reports whether one of lines matches re.
func HasLine(lines []string, re string) bool {
	rx := regexp.MustCompile(re)
	for _, l := range lines {
		if rx.MatchString(l) {
			return true
		}
	}
	return false
}

// ---- library clients -----------------------------------------------------------

// IMAP returns a go-imap v2 client connected to the service name; it is
// closed at cleanup.
func (in *Instance) IMAP(t testing.TB, name string) *imapclient.Client {
	t.Helper()
	return IMAPClient(t, in.Addr(name))
}

// IMAPClient connects a go-imap v2 client to addr without TLS (STARTTLS
// is the test's business); certificates are not checked.
func IMAPClient(t testing.TB, addr string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	if err != nil {
		t.Fatalf("imap dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// LMTP returns a go-smtp client in LMTP mode on the service name, after
// LHLO; it is closed at cleanup.
func (in *Instance) LMTP(t testing.TB, name string) *smtp.Client {
	t.Helper()
	return LMTPClient(t, "tcp", in.Addr(name))
}

// LMTPUnix returns an LMTP client on the instance's LMTP UNIX socket.
func (in *Instance) LMTPUnix(t testing.TB) *smtp.Client {
	t.Helper()
	return LMTPClient(t, "unix", filepath.Join(in.Run, "lmtp"))
}

// LMTPClient connects an LMTP client and says LHLO.
func LMTPClient(t testing.TB, network, addr string) *smtp.Client {
	t.Helper()
	conn, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		t.Fatalf("lmtp dial %s: %v", addr, err)
	}
	c := smtp.NewClientLMTP(conn)
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("localhost"); err != nil {
		t.Fatalf("LHLO: %v", err)
	}
	return c
}

// WaitFile waits until a file exists.
func WaitFile(t testing.TB, path string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %v", path, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
