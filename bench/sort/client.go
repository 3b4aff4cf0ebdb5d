package main

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// client is a minimal IMAP client: commands made of text and literals,
// answers read line by line (the commands this program sends get no
// literals back).
type client struct {
	conn net.Conn
	r    *bufio.Reader
	tag  int
	caps map[string]bool
}

func dial(addr string) (*client, error) {
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	nc.(*net.TCPConn).SetNoDelay(true)
	c := &client{conn: nc, r: bufio.NewReaderSize(nc, 1<<20)}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	l, err := c.line()
	if err != nil || !strings.HasPrefix(l, "* OK") {
		nc.Close()
		return nil, fmt.Errorf("greeting %q: %v", l, err)
	}
	return c, nil
}

func (c *client) close() { c.conn.Close() }

func (c *client) line() (string, error) {
	l, err := c.r.ReadString('\n')
	if err != nil {
		return l, err
	}
	return strings.TrimRight(l, "\r\n"), nil
}

// do sends a command of parts (string: as is; []byte: a literal, "{n+}"
// under LITERAL+, else synchronising) and returns the untagged lines.
// A tagged answer other than OK is an error.
func (c *client) do(timeout time.Duration, parts ...any) ([]string, error) {
	c.tag++
	tag := "s" + strconv.Itoa(c.tag)
	c.conn.SetDeadline(time.Now().Add(timeout))
	w := bufio.NewWriterSize(c.conn, 256<<10)
	w.WriteString(tag + " ")
	var untagged []string
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			w.WriteString(p)
		case []byte:
			if c.caps["LITERAL+"] {
				fmt.Fprintf(w, "{%d+}\r\n", len(p))
			} else {
				fmt.Fprintf(w, "{%d}\r\n", len(p))
				if err := w.Flush(); err != nil {
					return nil, err
				}
				for {
					l, err := c.line()
					if err != nil {
						return nil, err
					}
					if strings.HasPrefix(l, "+") {
						break
					}
					if strings.HasPrefix(l, tag+" ") {
						return nil, fmt.Errorf("literal refused: %s", l)
					}
					untagged = append(untagged, l)
				}
			}
			w.Write(p)
		}
	}
	w.WriteString("\r\n")
	if err := w.Flush(); err != nil {
		return nil, err
	}
	for {
		l, err := c.line()
		if err != nil {
			return untagged, fmt.Errorf("%s: %w", firstWords(parts), err)
		}
		if rest, ok := strings.CutPrefix(l, tag+" "); ok {
			if !strings.HasPrefix(rest, "OK") {
				return untagged, fmt.Errorf("%s: %s", firstWords(parts), rest)
			}
			return untagged, nil
		}
		untagged = append(untagged, l)
	}
}

func firstWords(parts []any) string {
	if len(parts) > 0 {
		if s, ok := parts[0].(string); ok {
			if len(s) > 40 {
				s = s[:40]
			}
			return s
		}
	}
	return "command"
}

// login logs in and reads the capabilities.
func (c *client) login(user, password string) error {
	if _, err := c.do(time.Minute, "LOGIN "+user+" "+password); err != nil {
		return err
	}
	u, err := c.do(time.Minute, "CAPABILITY")
	if err != nil {
		return err
	}
	c.caps = map[string]bool{}
	for _, l := range u {
		if rest, ok := strings.CutPrefix(l, "* CAPABILITY "); ok {
			for _, f := range strings.Fields(rest) {
				c.caps[strings.ToUpper(f)] = true
			}
		}
	}
	return nil
}

// open SELECTs (or EXAMINEs) a mailbox and returns its EXISTS.
func (c *client) open(cmd, box string) (int, error) {
	u, err := c.do(10*time.Minute, cmd+" "+box)
	if err != nil {
		return 0, err
	}
	for _, l := range u {
		f := strings.Fields(l)
		if len(f) == 3 && f[2] == "EXISTS" {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("%s %s: no EXISTS", cmd, box)
}
