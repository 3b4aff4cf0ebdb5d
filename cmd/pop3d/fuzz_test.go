package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"CAPA\r\n", "capa\r\r\n", " CAPA\r\n", "USER\talice\r\n", "PASS  x\r\n", "AUTH \r\n", "TOP 1 2\r\n", "\x00\r\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		c := parseCommand(line)
		if strings.IndexFunc(c.name, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) }) >= 0 {
			t.Errorf("keyword %q contains white space", c.name)
		}
		if c.name != lower(c.name) {
			t.Errorf("keyword %q not lower-cased", c.name)
		}
		if c.hasArg == (c.arg == "") {
			t.Errorf("hasArg %v with argument %q", c.hasArg, c.arg)
		}
		if c.syntaxErr && c.hasArg {
			t.Error("syntax error with an argument")
		}
		if strings.ContainsRune(c.name+c.arg, 0) {
			t.Error("NUL kept")
		}
		parseMsgno(c.arg)
		parseTop(c.arg)
	})
}

// FuzzSession feeds any bytes to a session in each state (the first
// byte chooses: before login, after USER, logged in, inside an AUTH
// exchange) and checks that it ends without a panic, answers only in
// CRLF lines, and never holds more than one line of input.
func FuzzSession(f *testing.F) {
	ts := newTestServer(f, nil)
	ts.appendMsgs(f, "user.alice", []string{msgDots, "Subject: x\r\n\r\nbody\r\n"})
	for _, s := range []string{
		"\x00CAPA\r\nQUIT\r\n", "\x01PASS secret\r\nSTAT\r\n", "\x02LIST\r\nRETR 1\r\nTOP 2 0\r\nDELE 1\r\nRSET\r\nUIDL\r\nQUIT\r\n",
		"\x03AGFsaWNlAHNlY3JldA==\r\nSTAT\r\n", "\x03*\r\n", "\x00AUTH PLAIN AGFsaWNlAH\r\n\r\n", "\x02TOP 1 4294967294\r\n",
		"\x00APOP alice 0123456789abcdef0123456789abcdef\r\n", "\x02" + strings.Repeat("x", 9000) + "\r\n",
	} {
		f.Add([]byte(s))
	}
	prefixes := []string{"", "USER alice\r\n", "USER alice\r\nPASS secret\r\n", "AUTH PLAIN\r\n"}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		in := append([]byte(prefixes[int(data[0])%len(prefixes)]), data[1:]...)
		conn := newScriptConn(in)
		s := newSession(ts.Server, conn, nil)
		done := make(chan struct{})
		go func() { defer close(done); s.run(context.Background()) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("session did not end")
		}
		out := &conn.out
		if cap(s.line) > maxSASLLine {
			t.Errorf("line buffer grew to %d", cap(s.line))
		}
		b := out.Bytes()
		for i := bytes.IndexByte(b, '\n'); i >= 0; i = bytes.IndexByte(b, '\n') {
			if i == 0 || b[i-1] != '\r' {
				t.Fatalf("bare LF in output: %q", out.String())
			}
			b = b[i+1:]
		}
	})
}

// scriptConn is a connection whose client sends a fixed input and then
// closes its side: reads return the input, then EOF.
type scriptConn struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func newScriptConn(in []byte) *scriptConn { return &scriptConn{in: bytes.NewReader(in)} }

func (c *scriptConn) Read(p []byte) (int, error)       { return c.in.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *scriptConn) Close() error                     { return nil }
func (c *scriptConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *scriptConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }
