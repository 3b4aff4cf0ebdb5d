package saslauthd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRequestBytes(t *testing.T) {
	b, err := Request("alice", "pw", "imap", "example.org")
	if err != nil {
		t.Fatal(err)
	}
	want := "\x00\x05alice\x00\x02pw\x00\x04imap\x00\x0bexample.org"
	if string(b) != want {
		t.Errorf("request %q, want %q", b, want)
	}
	if _, err := Request(strings.Repeat("x", 70000), "", "", ""); err == nil {
		t.Errorf("oversized field accepted")
	}
}

func TestParseResponse(t *testing.T) {
	for _, c := range []struct {
		in     string
		ok     bool
		reason string
		bad    bool
	}{
		{"\x00\x0dOK \"Success.\"", true, "Success.", false},
		{"\x00\x1aNO \"authentication failed\"", false, "authentication failed", false},
		{"\x00\x02OK", true, "", false},
		{"\x00\x02NO", false, "", false},
		{"\x00\x03XYZ", false, "Z", false},
		{"\x00\x01O", false, "", true},
		{"\x00\x09OK", false, "", true},
		{"\x00", false, "", true},
	} {
		ok, reason, err := ParseResponse([]byte(c.in))
		if (err != nil) != c.bad || ok != c.ok || reason != c.reason {
			t.Errorf("%q: ok=%v reason=%q err=%v", c.in, ok, reason, err)
		}
	}
}

// fakeDaemon answers like saslauthd and records the last request.
func fakeDaemon(t *testing.T, answer string) (path string, got func() []byte) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "mux")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	var last []byte
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			var req []byte
			for i := 0; i < 4; i++ {
				var h [2]byte
				if _, err := io.ReadFull(c, h[:]); err != nil {
					break
				}
				s := make([]byte, binary.BigEndian.Uint16(h[:]))
				io.ReadFull(c, s)
				req = append(append(req, h[:]...), s...)
			}
			mu.Lock()
			last = req
			mu.Unlock()
			c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(answer))))
			c.Write([]byte(answer))
			c.Close()
		}
	}()
	return path, func() []byte { mu.Lock(); defer mu.Unlock(); return last }
}

func TestClientWithFake(t *testing.T) {
	path, got := fakeDaemon(t, `NO "authentication failed"`)
	c := &Client{Path: path}
	ok, reason, err := c.Check(context.Background(), "bob", "pw", "pop", "")
	if err != nil || ok || reason != "authentication failed" {
		t.Errorf("ok=%v reason=%q err=%v", ok, reason, err)
	}
	if want := "\x00\x03bob\x00\x02pw\x00\x03pop\x00\x00"; string(got()) != want {
		t.Errorf("daemon got %q, want %q", got(), want)
	}
	_, _, err = (&Client{Path: filepath.Join(t.TempDir(), "none")}).Check(context.Background(), "a", "b", "c", "")
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing socket: %v", err)
	}
}

func TestClientTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mux")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // accept and never answer
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	_, _, err = (&Client{Path: path, Timeout: 200 * time.Millisecond}).Check(context.Background(), "a", "b", "c", "")
	if !errors.Is(err, ErrUnavailable) || time.Since(start) > 5*time.Second {
		t.Errorf("silent daemon: err=%v after %v", err, time.Since(start))
	}
}

// fakeIMAP is the remote IMAP server that saslauthd's rimap mechanism
// logs in to: it accepts only the given login/password.
func fakeIMAP(t *testing.T, login, password string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(c)
				io.WriteString(c, "* OK fake IMAP ready\r\n")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					f := strings.SplitN(strings.TrimRight(line, "\r\n"), " ", 3)
					if len(f) < 2 {
						return
					}
					switch strings.ToUpper(f[1]) {
					case "LOGIN":
						if len(f) == 3 && f[2] == quote(login)+" "+quote(password) {
							io.WriteString(c, f[0]+" OK LOGIN done\r\n")
						} else {
							io.WriteString(c, f[0]+" NO LOGIN failed\r\n")
						}
					case "LOGOUT":
						io.WriteString(c, "* BYE\r\n"+f[0]+" OK\r\n")
						return
					default:
						io.WriteString(c, f[0]+" BAD\r\n")
					}
				}
			}(c)
		}
	}()
	return l.Addr().String()
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// syncBuffer collects the daemon's debug output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestRealSaslauthd runs Debian's saslauthd privately (its own socket
// directory, the rimap mechanism against a fake IMAP server on loopback,
// -r so that the realm we send reaches the login) and checks answers.
func TestRealSaslauthd(t *testing.T) {
	bin, err := exec.LookPath("saslauthd")
	if err != nil {
		for _, p := range []string{"/usr/sbin/saslauthd", "/sbin/saslauthd"} {
			if _, e := os.Stat(p); e == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		t.Skip("saslauthd (Debian sasl2-bin) not installed")
	}
	addr := fakeIMAP(t, "alice@example.org", `se"cr\et`)
	host, port, _ := net.SplitHostPort(addr)
	dir, err := os.MkdirTemp("", "saslauthd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var log syncBuffer
	cmd := exec.Command(bin, "-a", "rimap", "-O", host+"/"+port, "-m", dir, "-n", "0", "-d", "-r")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Skipf("saslauthd cannot start here: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	mux := filepath.Join(dir, "mux")
	for i := 0; ; i++ {
		if _, err := os.Stat(mux); err == nil {
			break
		}
		if i == 100 {
			t.Skipf("saslauthd did not open %s: %s", mux, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := &Client{Path: mux, Timeout: 10 * time.Second}
	ctx := context.Background()
	ok, reason, err := c.Check(ctx, "alice", `se"cr\et`, "imap", "example.org")
	if err != nil || !ok {
		t.Fatalf("right password: ok=%v reason=%q err=%v\n%s", ok, reason, err, log.String())
	}
	ok, reason, err = c.Check(ctx, "alice", "wrong", "imap", "example.org")
	if err != nil || ok || reason == "" {
		t.Errorf("wrong password: ok=%v reason=%q err=%v", ok, reason, err)
	}
	ok, _, err = c.Check(ctx, "alice", `se"cr\et`, "pop", "other.test")
	if err != nil || ok {
		t.Errorf("other realm: ok=%v err=%v", ok, err)
	}
	for _, want := range []string{
		"auth success: [user=alice@example.org] [service=imap] [realm=example.org]",
		"auth failure: [user=alice@other.test] [service=pop] [realm=other.test]",
	} {
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(log.String(), want) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(log.String(), want) {
			t.Errorf("saslauthd log lacks %q:\n%s", want, log.String())
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("\x00\x0dOK \"Success.\""))
	f.Add([]byte("\x00\x02NO"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ok, _, err := ParseResponse(b)
		if err == nil && ok && !bytes.HasPrefix(b[2:], []byte("OK")) {
			t.Fatalf("%q accepted", b)
		}
	})
}
