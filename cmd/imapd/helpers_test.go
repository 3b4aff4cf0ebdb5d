package main

import (
	"bufio"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/service"
	"gyrus/lib/tool"
)

// newTestServer builds a Server over a fresh configuration directory and
// spool, with -N (no password check: any password logs in) and "admin"
// as the admin. extra adds or overrides imapd.conf keys.
func newTestServer(t testing.TB, extra map[string]string) *Server {
	t.Helper()
	dir := t.TempDir()
	m := map[string]string{
		"configdirectory":   filepath.Join(dir, "lib"),
		"partition-default": filepath.Join(dir, "spool"),
		"servername":        "localhost",
		"admins":            "admin",
		"sasl_sasldb_path":  filepath.Join(dir, "sasldb2"),
		"allowplaintext":    "yes",
		"failedloginpause":  "0",
		"hashimapspool":     "yes",
	}
	for k, v := range extra {
		m[k] = v
	}
	cfg, err := config.FromMap(m, "imapd")
	if err != nil {
		t.Fatal(err)
	}
	env := &service.Env{Context: &tool.Context{Config: cfg, Ident: "imapd"}, Service: "imapd"}
	srv, err := NewServer(env, Flags{NoPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// pipeClient is a session over net.Pipe driven line by line.
type pipeClient struct {
	t    testing.TB
	c    net.Conn
	r    *bufio.Reader
	done chan struct{}
}

// startPipe runs a session of srv on one end of a pipe.
func startPipe(t testing.TB, srv *Server) *pipeClient {
	t.Helper()
	a, b := net.Pipe()
	pc := &pipeClient{t: t, c: a, r: bufio.NewReader(a), done: make(chan struct{})}
	go func() {
		defer close(pc.done)
		defer b.Close()
		newSession(srv, b, nil).run(context.Background())
	}()
	t.Cleanup(func() {
		a.Close()
		select {
		case <-pc.done:
		case <-time.After(5 * time.Second):
			t.Error("session did not end")
		}
	})
	return pc
}

// line reads one response line (without CRLF).
func (pc *pipeClient) line() string {
	pc.t.Helper()
	pc.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	l, err := pc.r.ReadString('\n')
	if err != nil {
		pc.t.Fatalf("read: %v (got %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

// cmd sends "tag text" and returns the untagged lines and the tagged one.
func (pc *pipeClient) cmd(tag, text string) (untagged []string, tagged string) {
	pc.t.Helper()
	pc.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := pc.c.Write([]byte(tag + " " + text + "\r\n")); err != nil {
		pc.t.Fatalf("write: %v", err)
	}
	for {
		l := pc.line()
		if strings.HasPrefix(l, tag+" ") {
			return untagged, l
		}
		untagged = append(untagged, l)
	}
}

// ok is cmd that requires an OK.
func (pc *pipeClient) ok(tag, text string) []string {
	pc.t.Helper()
	u, st := pc.cmd(tag, text)
	if !strings.HasPrefix(st, tag+" OK") {
		pc.t.Fatalf("%s %s: %s", tag, text, st)
	}
	return u
}
