package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// client is a minimal IMAP client, the same code for every server: it
// sends one command, reads up to its tagged answer (reading literals in
// the answer by their byte count) and counts the bytes; no pipelining,
// no parsing beyond what a row needs. It sets TCP_NODELAY, and with
// quickack TCP_QUICKACK after each read, so that a server that leaves
// Nagle on (Cyrus) is not held up by this side's delayed ACKs.
type client struct {
	conn     *net.TCPConn
	raw      syscall.RawConn
	r        *bufio.Reader
	quickack bool
	tag      int
	timeout  time.Duration
	caps     map[string]bool
	in, out  int64 // bytes read and written
}

// response is what a command answered.
type response struct {
	status   string   // "OK ...", "NO ...", "BAD ..." without the tag
	untagged []string // logical untagged lines, literals inline (only when kept)
	count    int      // untagged lines
	bytes    int64    // bytes read for this command
}

// dial connects and reads the greeting.
func dial(addr string, quickack bool) (*client, error) {
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	tc := nc.(*net.TCPConn)
	tc.SetNoDelay(true)
	raw, err := tc.SyscallConn()
	if err != nil {
		tc.Close()
		return nil, err
	}
	c := &client{conn: tc, raw: raw, quickack: quickack, timeout: 10 * time.Minute}
	c.r = bufio.NewReaderSize(quickReader{c}, 64<<10)
	c.setQuickack()
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	l, err := c.readLine(nil)
	if err != nil {
		tc.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if !strings.HasPrefix(l, "* OK") {
		tc.Close()
		return nil, fmt.Errorf("greeting: %q", l)
	}
	return c, nil
}

// quickReader re-arms TCP_QUICKACK after every read: the kernel clears
// it again on its own.
type quickReader struct{ c *client }

func (q quickReader) Read(p []byte) (int, error) {
	n, err := q.c.conn.Read(p)
	q.c.in += int64(n)
	q.c.setQuickack()
	return n, err
}

func (c *client) setQuickack() {
	if !c.quickack {
		return
	}
	c.raw.Control(func(fd uintptr) {
		unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
	})
}

func (c *client) close() { c.conn.Close() }

// login runs LOGIN, then CAPABILITY (for LITERAL+ and MULTIAPPEND).
func (c *client) login(user, password string) error {
	if _, err := c.do(false, "LOGIN "+quote(user)+" "+quote(password)); err != nil {
		return err
	}
	r, err := c.do(true, "CAPABILITY")
	if err != nil {
		return err
	}
	c.caps = map[string]bool{}
	for _, l := range r.untagged {
		if rest, ok := strings.CutPrefix(l, "* CAPABILITY "); ok {
			for _, f := range strings.Fields(rest) {
				c.caps[strings.ToUpper(f)] = true
			}
		}
	}
	return nil
}

// selectBox selects a mailbox and returns its EXISTS count.
func (c *client) selectBox(name string) (int, error) {
	r, err := c.do(true, "SELECT "+quote(name))
	if err != nil {
		return 0, err
	}
	for _, l := range r.untagged {
		f := strings.Fields(l)
		if len(f) == 3 && f[2] == "EXISTS" {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("SELECT %s: no EXISTS in the answer", name)
}

// do sends a command made of parts: a string is sent as is, a []byte
// as a literal (LITERAL+ "{n+}" when the server offers it, else a
// synchronising "{n}" that waits for the continuation). keep keeps the
// untagged lines. A tagged NO or BAD is an error (the response is still
// returned).
func (c *client) do(keep bool, parts ...any) (response, error) {
	c.tag++
	tag := "b" + strconv.Itoa(c.tag)
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	before := c.in
	var resp response
	var buf bytes.Buffer
	buf.WriteString(tag + " ")
	nonSync := c.caps["LITERAL+"]
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			buf.WriteString(p)
		case []byte:
			if nonSync {
				fmt.Fprintf(&buf, "{%d+}\r\n", len(p))
				buf.Write(p)
				continue
			}
			fmt.Fprintf(&buf, "{%d}\r\n", len(p))
			if err := c.write(buf.Bytes()); err != nil {
				return resp, err
			}
			buf.Reset()
			// wait for "+ ", answering nothing else
			for {
				l, err := c.readLine(nil)
				if err != nil {
					return resp, err
				}
				if strings.HasPrefix(l, "+") {
					break
				}
				if strings.HasPrefix(l, tag+" ") {
					resp.status = l[len(tag)+1:]
					return resp, fmt.Errorf("%s: %s", firstWords(parts), resp.status)
				}
			}
			buf.Write(p)
		default:
			panic(fmt.Sprintf("client.do: part of type %T", p))
		}
	}
	buf.WriteString("\r\n")
	if err := c.write(buf.Bytes()); err != nil {
		return resp, err
	}
	var kept *[]string
	if keep {
		kept = &resp.untagged
	}
	for {
		l, err := c.readLine(kept)
		if err != nil {
			return resp, fmt.Errorf("%s: %w", firstWords(parts), err)
		}
		if strings.HasPrefix(l, tag+" ") {
			resp.status = l[len(tag)+1:]
			break
		}
		if strings.HasPrefix(l, "* ") {
			resp.count++
		}
	}
	resp.bytes = c.in - before
	if !strings.HasPrefix(resp.status, "OK") {
		return resp, fmt.Errorf("%s: %s", firstWords(parts), resp.status)
	}
	return resp, nil
}

func (c *client) write(b []byte) error {
	n, err := c.conn.Write(b)
	c.out += int64(n)
	return err
}

// readLine reads one logical response line: a line ending in a literal
// "{n}" goes on after the n bytes. The whole line is built only when
// kept is not nil (and then appended to it if untagged); otherwise only
// its start (up to 64 bytes) is returned, enough to see the tag.
func (c *client) readLine(kept *[]string) (string, error) {
	var full []byte
	var head []byte
	for {
		seg, err := c.r.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) {
			if kept != nil {
				full = append(full, seg...)
			}
			if len(head) < 64 {
				head = append(head, seg[:min(len(seg), 64-len(head))]...)
			}
			seg, err = c.r.ReadSlice('\n')
		}
		if err != nil {
			return "", err
		}
		if kept != nil {
			full = append(full, seg...)
		}
		if len(head) < 64 {
			head = append(head, seg[:min(len(seg), 64-len(head))]...)
		}
		n, ok := literalAtEnd(seg)
		if !ok {
			break
		}
		if kept != nil {
			// grow as the bytes come, not by the announced size
			b := bytes.NewBuffer(full)
			if _, err := io.CopyN(b, c.r, int64(n)); err != nil {
				return "", err
			}
			full = b.Bytes()
		} else if _, err := c.r.Discard(n); err != nil {
			return "", err
		}
	}
	if kept == nil {
		return strings.TrimRight(string(head), "\r\n"), nil
	}
	line := strings.TrimRight(string(full), "\r\n")
	if strings.HasPrefix(line, "* ") {
		*kept = append(*kept, line)
	}
	return line, nil
}

// literalAtEnd finds "{n}\r\n" at the end of a line segment.
func literalAtEnd(seg []byte) (int, bool) {
	s := bytes.TrimRight(seg, "\r\n")
	if len(s) < 3 || s[len(s)-1] != '}' {
		return 0, false
	}
	i := bytes.LastIndexByte(s, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(string(s[i+1 : len(s)-1]))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func firstWords(parts []any) string {
	if len(parts) == 0 {
		return ""
	}
	s, _ := parts[0].(string)
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
