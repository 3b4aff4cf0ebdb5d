package lmtp

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gyrus/lib/deliver"
)

// fakeBackend accepts "ok*" recipients, keeps the staged bytes.
type fakeBackend struct {
	dir  string
	mu   sync.Mutex
	msgs []string
}

func (f *fakeBackend) Verify(addr string, iq bool, size int64, a deliver.Auth) (*deliver.Recipient, error) {
	if strings.HasPrefix(addr, "ok") {
		return &deliver.Recipient{Address: addr}, nil
	}
	if addr == "full" {
		return nil, deliver.ErrQuotaExceeded
	}
	return nil, deliver.ErrMailboxNonexistent
}

func (f *fakeBackend) StageDir([]*deliver.Recipient) string { return f.dir }

func (f *fakeBackend) Deliver(ctx context.Context, m *deliver.Message, rcpts []*deliver.Recipient) []error {
	b, _ := os.ReadFile(m.Staged.Path())
	f.mu.Lock()
	f.msgs = append(f.msgs, string(b))
	f.mu.Unlock()
	errs := make([]error, len(rcpts))
	for i, r := range rcpts {
		if r.Address == "okfail" {
			errs[i] = deliver.ErrIO
		}
	}
	return errs
}

func testConfig() *Config {
	return &Config{ServerName: "test.example", ServerInfo: "on", Product: "Gyrus", Version: "9",
		Munge8bit: true, StrictRFC2821: true, SoftNoAuth: true, Postmaster: "postmaster",
		Timeout: time.Minute, SessionIDBase: "test"}
}

// session starts a session on one end of a pipe and returns the other.
func startSession(t *testing.T, cfg *Config, be Backend, ci Conn) (net.Conn, *bufio.Reader, chan struct{}) {
	t.Helper()
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() {
		Serve(context.Background(), a, cfg, be, ci)
		a.Close()
		close(done)
	}()
	t.Cleanup(func() { b.Close(); <-done })
	br := bufio.NewReader(b)
	readReply(t, br) // greeting
	return b, br, done
}

func readReply(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var s strings.Builder
	for {
		l, err := br.ReadString('\n')
		s.WriteString(l)
		if err != nil || len(l) < 4 || l[3] != '-' {
			return s.String()
		}
	}
}

func TestSessionTranscript(t *testing.T) {
	be := &fakeBackend{dir: t.TempDir()}
	c, br, _ := startSession(t, testConfig(), be, Conn{ClientHost: "[unix socket]", Unix: true})
	// pipelined: the replies come in order
	io.WriteString(c, "LHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<ok1>\r\nRCPT TO:<nobody>\r\nRCPT TO:<full>\r\nRCPT TO:<okfail>\r\nDATA\r\n")
	want := []string{"250-test.example\r\n", "250 2.1.0 ok\r\n", "250 2.1.5 ok\r\n", "550-Mailbox unknown", "452 4.2.2 Over quota SESSIONID=<test-", "250 2.1.5 ok\r\n", "354 go ahead\r\n"}
	for _, w := range want {
		if got := readReply(t, br); !strings.HasPrefix(got, w) {
			t.Fatalf("got %q, want %q", got, w)
		}
	}
	io.WriteString(c, "Subject: hi\r\n\r\nbody\r\n.\r\n")
	if got := readReply(t, br); !strings.HasPrefix(got, "250 2.1.5 Success SESSIONID=<test-") {
		t.Fatalf("ok1: %q", got)
	}
	if got := readReply(t, br); got != "451 4.3.0 System I/O error\r\n" {
		t.Fatalf("okfail: %q", got)
	}
	if len(be.msgs) != 1 {
		t.Fatalf("%d messages", len(be.msgs))
	}
	m := be.msgs[0]
	for _, w := range []string{"Return-Path: <a@b.example>\r\nReceived: from client.example ([unix socket])\r\n\t by test.example (Gyrus 9) with LMTPA;\r\n\t ",
		"Subject: hi\r\nMessage-ID: <cmu-lmtpd-", "\r\n\r\nbody\r\n"} {
		if !strings.Contains(m, w) {
			t.Errorf("message %q lacks %q", m, w)
		}
	}
	// the staged copy is gone once delivered
	if ents, _ := os.ReadDir(be.dir); len(ents) != 0 {
		t.Errorf("stage directory not empty: %v", ents)
	}
	io.WriteString(c, "QUIT\r\n")
	if got := readReply(t, br); got != "221 2.0.0 bye\r\n" {
		t.Fatalf("QUIT: %q", got)
	}
}

// A client that goes away in the middle of DATA leaves no file.
func TestVanishMidData(t *testing.T) {
	be := &fakeBackend{dir: t.TempDir()}
	c, br, done := startSession(t, testConfig(), be, Conn{ClientHost: "[unix socket]", Unix: true})
	io.WriteString(c, "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<ok>\r\nDATA\r\n")
	for i := 0; i < 4; i++ {
		readReply(t, br)
	}
	io.WriteString(c, "Subject: cut\r\n\r\n"+strings.Repeat("data line\r\n", 10000))
	c.Close()
	<-done
	if len(be.msgs) != 0 {
		t.Fatal("a cut message was delivered")
	}
	ents, _ := os.ReadDir(be.dir)
	if len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
}

func TestAuthRequiredAndShutdown(t *testing.T) {
	cfg := testConfig()
	be := &fakeBackend{dir: t.TempDir()}
	c, br, _ := startSession(t, cfg, be, Conn{ClientHost: "[127.0.0.1]"})
	io.WriteString(c, "LHLO x\r\n")
	if got := readReply(t, br); strings.Contains(got, "AUTH") {
		t.Errorf("AUTH offered without SASL: %q", got)
	}
	io.WriteString(c, "MAIL FROM:<a@b>\r\n")
	if got := readReply(t, br); got != "430 Authentication required\r\n" {
		t.Errorf("soft_noauth: %q", got)
	}
	cfg2 := testConfig()
	cfg2.SoftNoAuth = false
	cfg2.ShutdownFile = filepath.Join(t.TempDir(), "shutdown")
	os.WriteFile(cfg2.ShutdownFile, []byte("down for maintenance\nmore\n"), 0o644)
	c2, br2, done2 := startSession(t, cfg2, be, Conn{ClientHost: "[127.0.0.1]"})
	io.WriteString(c2, "NOOP\r\nMAIL FROM:<a@b>\r\n")
	if got := readReply(t, br2); got != "250 2.0.0 ok\r\n" {
		t.Errorf("NOOP during shutdown: %q", got)
	}
	if got := readReply(t, br2); got != "421 4.3.2 down for maintenance\r\n" {
		t.Errorf("shutdown: %q", got)
	}
	<-done2
}

func TestIdleTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.Timeout = 200 * time.Millisecond
	be := &fakeBackend{dir: t.TempDir()}
	_, br, done := startSession(t, cfg, be, Conn{ClientHost: "[unix socket]", Unix: true})
	if got := readReply(t, br); got != "421 4.4.1 bye idle for too long\r\n" {
		t.Errorf("idle: %q", got)
	}
	<-done
}

// discardBackend accepts every recipient and delivers nothing: what is
// left is the session's own work.
type discardBackend struct{ fakeBackend }

func (d *discardBackend) Deliver(ctx context.Context, m *deliver.Message, rcpts []*deliver.Recipient) []error {
	return make([]error, len(rcpts))
}

// BenchmarkSession is one pipelining client's transaction of a 20 KB
// message through a session (reading, dot-unstuffing, header checks,
// staging, parsing), with a backend that keeps nothing: with -benchmem,
// the garbage a delivery leaves for the collector.
func BenchmarkSession(b *testing.B) {
	be := &discardBackend{fakeBackend{dir: b.TempDir()}}
	t := &testing.T{}
	conn, br, _ := startSession(t, testConfig(), be, Conn{Unix: true})
	defer conn.Close()
	var body strings.Builder
	body.WriteString("From: a@example.com\r\nTo: b@example.com\r\nSubject: bench\r\nMessage-ID: <x@example.com>\r\nDate: Mon, 09 Jan 2023 22:42:26 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n")
	for body.Len() < 20<<10 {
		body.WriteString("The quick brown fox jumps over the lazy dog, again and again and again.\r\n")
	}
	txn := []byte("MAIL FROM:<a@example.com>\r\nRCPT TO:<ok1>\r\nDATA\r\n")
	data := []byte(body.String() + ".\r\n")
	conn.Write([]byte("LHLO x\r\n"))
	readReply(t, br)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		conn.Write(txn)
		for range 3 {
			readReply(t, br)
		}
		conn.Write(data)
		if r := readReply(t, br); !strings.HasPrefix(r, "250") {
			b.Fatal(r)
		}
	}
}
