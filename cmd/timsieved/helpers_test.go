package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/log"
	"gyrus/lib/mboxlist"
	"gyrus/lib/service"
	"gyrus/lib/sieve"
	"gyrus/lib/tool"
)

func init() {
	log.Setup(log.Options{Ident: "timsieved-test", Socket: "/nonexistent/log", Stderr: io.Discard})
}

// fakeCompile stands in for lib/sieve in unit tests: a script containing
// "bad" fails with one problem, any other compiles to "BC:" + script.
func fakeCompile(src []byte, _ sieve.Options) ([]byte, error) {
	if bytes.Contains(src, []byte("bad")) {
		return nil, &sieve.Error{Problems: []sieve.Problem{{Line: 1, Msg: "syntax error"}}}
	}
	return append([]byte("BC:"), src...), nil
}

// testServer is a timsieved Server over a fresh configuration directory
// with user alice (password "secret") and her INBOX.
type testServer struct {
	*Server
	dir string
}

func newTestServer(t testing.TB, opts map[string]string) *testServer {
	t.Helper()
	dir := t.TempDir()
	m := map[string]string{
		"configdirectory":   filepath.Join(dir, "lib"),
		"partition-default": filepath.Join(dir, "spool"),
		"sievedir":          filepath.Join(dir, "sieve"),
		"servername":        "localhost",
		"admins":            "admin",
		"sasl_sasldb_path":  filepath.Join(dir, "sasldb2"),
		"sasl_mech_list":    "PLAIN LOGIN",
		"allowplaintext":    "yes",
		"altnamespace":      "no",
		"unixhierarchysep":  "no",
	}
	for k, v := range opts {
		m[k] = v
	}
	for _, d := range []string{"lib", "spool", "proc"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	cfg, err := config.FromMap(m, "sieve")
	if err != nil {
		t.Fatal(err)
	}
	env := &service.Env{Context: &tool.Context{Config: cfg, Ident: "sieve"}, Service: "sieve", ProcDir: filepath.Join(dir, "proc")}
	srv, err := NewServer(env)
	if err != nil {
		t.Fatal(err)
	}
	srv.compile = fakeCompile
	ts := &testServer{Server: srv, dir: dir}
	ts.addUser(t, "alice", "secret")
	return ts
}

func (ts *testServer) addUser(t testing.TB, user, pw string) {
	t.Helper()
	if err := ts.auth.Store().SetPassword(user, "localhost", []byte(pw)); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.list.Create(mboxlist.CreateRequest{Name: "user." + user, IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
}

// transcript runs one session on the input (the client then closes its
// side) and returns everything the server wrote.
func (ts *testServer) transcript(t testing.TB, in string) string {
	t.Helper()
	_, conn := ts.runSession(t, []byte(in))
	return conn.out.String()
}

// runSession runs one session on the input (the client then closes its
// side) and returns it, ended, with its connection.
func (ts *testServer) runSession(t testing.TB, in []byte) (*Session, *scriptConn) {
	t.Helper()
	conn := newScriptConn(in)
	s := newSession(ts.Server, conn, nil)
	done := make(chan struct{})
	go func() { defer close(done); s.run(context.Background()) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("session did not end")
	}
	return s, conn
}

// greeting is the capability list before login, as the test server
// sends it.
func (ts *testServer) greeting(t testing.TB) string {
	out := ts.transcript(t, "")
	return strings.TrimSuffix(out, "BYE \"Shutdown TCP timeout\"\r\n")
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
