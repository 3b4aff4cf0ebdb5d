package timsieved

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Client is a raw ManageSieve client for transcripts: it sends bytes and
// reads logical response lines (a line with its literals inlined).
type Client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	// Timeout bounds each wait for an answer.
	Timeout time.Duration
}

// Dial connects and reads the greeting (the capability list).
func Dial(t testing.TB, addr string) (*Client, []string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &Client{t: t, conn: conn, r: bufio.NewReader(conn), Timeout: 10 * time.Second}
	return c, c.Response()
}

// Send writes raw bytes.
func (c *Client) Send(s string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(c.Timeout))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

var literalEnd = regexp.MustCompile(`\{(\d+)\+?\}$`)

// ReadLine reads one logical line: up to CRLF, with any literal that
// ends a line read and appended ("{5}\r\nhello" stays as sent).
func (c *Client) ReadLine() (string, error) {
	c.conn.SetReadDeadline(time.Now().Add(c.Timeout))
	var b strings.Builder
	for {
		l, err := c.r.ReadString('\n')
		b.WriteString(l)
		if err != nil {
			return b.String(), err
		}
		m := literalEnd.FindStringSubmatch(strings.TrimRight(l, "\r\n"))
		if m == nil {
			return strings.TrimSuffix(b.String(), "\r\n"), nil
		}
		n, _ := strconv.Atoi(m[1])
		buf := make([]byte, n)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return b.String() + string(buf), err
		}
		b.Write(buf)
	}
}

// final: a line that ends a response.
func final(l string) bool {
	return strings.HasPrefix(l, "OK") || strings.HasPrefix(l, "NO") || strings.HasPrefix(l, "BYE")
}

// Responses reads until n responses have ended (n final lines).
func (c *Client) Responses(n int) []string {
	c.t.Helper()
	var out []string
	for n > 0 {
		l, err := c.ReadLine()
		if err != nil {
			c.t.Fatalf("read: %v (after %q, partial %q)", err, out, l)
		}
		out = append(out, l)
		if final(l) {
			n--
		}
	}
	return out
}

// Response reads one response.
func (c *Client) Response() []string { c.t.Helper(); return c.Responses(1) }

// Challenge reads one SASL challenge (a literal line) and decodes it.
func (c *Client) Challenge() []byte {
	c.t.Helper()
	l, err := c.ReadLine()
	if err != nil {
		c.t.Fatalf("read challenge: %v", err)
	}
	i := strings.Index(l, "\r\n")
	if !strings.HasPrefix(l, "{") || i < 0 {
		c.t.Fatalf("not a challenge: %q", l)
	}
	b, err := base64.StdEncoding.DecodeString(l[i+2:])
	if err != nil {
		c.t.Fatalf("challenge %q: %v", l, err)
	}
	return b
}

// Cmd sends one command line and returns its response; the last line
// must start with want.
func (c *Client) Cmd(want, line string) []string {
	c.t.Helper()
	c.Send(line + "\r\n")
	r := c.Response()
	if last := r[len(r)-1]; !strings.HasPrefix(last, want) {
		c.t.Fatalf("%s: got %q, want %s", line, r, want)
	}
	return r
}

// StartTLS sends STARTTLS, does the handshake with cfg and returns the
// capability response that follows.
func (c *Client) StartTLS(cfg *tls.Config) (*tls.ConnectionState, []string) {
	c.t.Helper()
	c.Cmd("OK", "STARTTLS")
	tc := tls.Client(c.conn, cfg)
	tc.SetDeadline(time.Now().Add(c.Timeout))
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake: %v", err)
	}
	tc.SetDeadline(time.Time{})
	c.conn = tc
	c.r = bufio.NewReader(tc)
	st := tc.ConnectionState()
	return &st, c.Response()
}

// ExpectClosed reads until the server closes and returns what came.
func (c *Client) ExpectClosed() []string {
	c.t.Helper()
	var out []string
	for {
		l, err := c.ReadLine()
		if l != "" {
			out = append(out, l)
		}
		if err == io.EOF {
			return out
		}
		if err != nil {
			c.t.Fatalf("waiting for close: %v (got %q)", err, out)
		}
	}
}

// quote is a ManageSieve quoted string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// literal is a non-synchronizing literal.
func literal(s string) string { return fmt.Sprintf("{%d+}\r\n%s", len(s), s) }

func plain(authz, user, pw string) string {
	return base64.StdEncoding.EncodeToString([]byte(authz + "\x00" + user + "\x00" + pw))
}
