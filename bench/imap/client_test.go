package main

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeServer answers each command line it reads with the next canned
// answer (the tag "b<n>" of the client's n-th command is put in for
// "TAG"); a command with a synchronising literal gets "+ go".
func fakeServer(t *testing.T, greeting string, answers ...string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		c.Write([]byte(greeting))
		n := 0
		for _, a := range answers {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			for strings.HasSuffix(line, "}\r\n") {
				i := strings.LastIndexByte(line, '{')
				spec := line[i+1 : len(line)-3]
				sync := !strings.HasSuffix(spec, "+")
				var size int
				for _, ch := range strings.TrimSuffix(spec, "+") {
					size = size*10 + int(ch-'0')
				}
				if sync {
					c.Write([]byte("+ go\r\n"))
				}
				buf := make([]byte, size)
				if _, err := ioReadFull(r, buf); err != nil {
					return
				}
				line, err = r.ReadString('\n')
				if err != nil {
					return
				}
			}
			n++
			c.Write([]byte(strings.ReplaceAll(a, "TAG", "b"+strconv.Itoa(n))))
		}
		time.Sleep(100 * time.Millisecond)
	}()
	return l.Addr().String()
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestClientLiteralsAndStatus(t *testing.T) {
	addr := fakeServer(t, "* OK hello\r\n",
		"TAG OK logged in\r\n",
		"* CAPABILITY IMAP4rev1 MULTIAPPEND\r\nTAG OK done\r\n",
		"* 1 FETCH (ENVELOPE (NIL {5}\r\nab\r\nc NIL))\r\n* 2 FETCH (ENVELOPE NIL)\r\nTAG OK fetched\r\n",
		"TAG OK [APPENDUID 1 1] appended\r\n",
		"TAG NO [TRYCREATE] no mailbox\r\n",
	)
	{
		c, err := dial(addr, true)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		if err := c.login("u", "p"); err != nil {
			t.Fatal(err)
		}
		if !c.caps["MULTIAPPEND"] || c.caps["LITERAL+"] {
			t.Fatalf("caps = %v", c.caps)
		}
		r, err := c.do(true, "FETCH 1:* (ENVELOPE)")
		if err != nil {
			t.Fatal(err)
		}
		if r.count != 2 || len(r.untagged) != 2 || r.untagged[0] != "* 1 FETCH (ENVELOPE (NIL {5}\r\nab\r\nc NIL))" {
			t.Fatalf("untagged = %q (count %d)", r.untagged, r.count)
		}
		if r.status != "OK fetched" || r.bytes == 0 {
			t.Fatalf("status %q, %d bytes", r.status, r.bytes)
		}
		// no LITERAL+: a synchronising literal waits for "+"
		if _, err := c.do(false, "APPEND INBOX ", []byte("Subject: x\r\n\r\nbody\r\n")); err != nil {
			t.Fatal(err)
		}
		r, err = c.do(false, "SELECT nope")
		if err == nil || !strings.HasPrefix(r.status, "NO ") {
			t.Fatalf("NO answer: status %q, err %v", r.status, err)
		}
	}
}

func TestLiteralAtEnd(t *testing.T) {
	for in, want := range map[string]int{"* 1 FETCH (BODY[] {12}\r\n": 12, "x {0}\r\n": 0, "a }\r\n": -1, "{x}\r\n": -1, "plain\r\n": -1} {
		n, ok := literalAtEnd([]byte(in))
		if (want < 0) == ok || ok && n != want {
			t.Errorf("literalAtEnd(%q) = %d, %v", in, n, ok)
		}
	}
}

// FuzzReadLine feeds arbitrary server output to the response reader: it
// must return lines or an error, never panic or loop.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte("* 1 FETCH (BODY[] {3}\r\nabc)\r\nb1 OK done\r\n"))
	f.Add([]byte("* OK {99999999999}\r\n"))
	f.Add([]byte("* 1 {-1}\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &client{r: bufio.NewReaderSize(bytes.NewReader(data), 16)}
		for i := 0; i < 1000; i++ {
			var kept []string
			if _, err := c.readLine(&kept); err != nil {
				return
			}
			c2 := &client{r: bufio.NewReaderSize(bytes.NewReader(data), 16)}
			if _, err := c2.readLine(nil); err != nil {
				return
			}
		}
	})
}
