package main

import (
	"bufio"
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
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/message"
	"gyrus/lib/service"
	"gyrus/lib/tool"
)

func init() {
	openInboxPause = 0 // Cyrus's fixed 3 s, not wanted in unit tests
	// keep the tests' log lines out of the machine's syslog
	log.Setup(log.Options{Ident: "pop3d-test", Socket: "/nonexistent/log", Stderr: io.Discard})
}

// testServer is a pop3d Server over a fresh spool in a temporary
// directory, with user alice (password "secret") and her INBOX.
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
		"servername":        "localhost",
		"admins":            "admin",
		"sasl_sasldb_path":  filepath.Join(dir, "sasldb2"),
		"allowplaintext":    "yes",
		"failedloginpause":  "0",
		"altnamespace":      "no",
		"unixhierarchysep":  "no",
	}
	for k, v := range opts {
		m[k] = v
	}
	for _, d := range []string{"lib", "spool", "proc"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	cfg, err := config.FromMap(m, "pop3")
	if err != nil {
		t.Fatal(err)
	}
	env := &service.Env{Context: &tool.Context{Config: cfg, Ident: "pop3"}, Service: "pop3", ProcDir: filepath.Join(dir, "proc")}
	srv, err := NewServer(env, Flags{})
	if err != nil {
		t.Fatal(err)
	}
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

// open opens a mailbox by internal name.
func (ts *testServer) open(t testing.TB, name string) *mailbox.Mailbox {
	t.Helper()
	e, err := ts.list.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := ts.settings.Locate(e)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := mailbox.Open(loc, ts.mbopts, mailbox.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	return mb
}

// appendMsgs adds messages to a mailbox in one transaction; internal
// dates are now unless given (Unix seconds) in dates.
func (ts *testServer) appendMsgs(t testing.TB, name string, msgs []string, dates ...int64) {
	t.Helper()
	mb := ts.open(t, name)
	defer mb.Close()
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		st, err := mailbox.Stage(mb.Location().StageDir, strings.NewReader(m))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		info, err := st.Parse(message.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		nm := &mailbox.NewMessage{Staged: st, Info: info}
		if i < len(dates) {
			nm.InternalDate = time.Unix(dates[i], 0)
		}
		if _, err := tx.Append(nm); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// client is a POP3 connection to an in-process session.
type client struct {
	t    testing.TB
	c    net.Conn
	br   *bufio.Reader
	done chan struct{}
}

func (ts *testServer) dial(t testing.TB) *client {
	t.Helper()
	cs, ss := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer ss.Close()
		newSession(ts.Server, ss, nil).run(context.Background())
	}()
	c := &client{t: t, c: cs, br: bufio.NewReader(cs), done: done}
	t.Cleanup(func() {
		cs.Close()
		<-done
	})
	c.line() // greeting
	return c
}

func (c *client) line() string {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (got %q)", err, l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// cmd sends a line and returns the first answer line.
func (c *client) cmd(line string) string {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.c, line+"\r\n"); err != nil {
		c.t.Fatal(err)
	}
	return c.line()
}

// multi sends a line and returns the lines of a multi-line answer
// (without the status line and the final dot).
func (c *client) multi(line string) []string {
	c.t.Helper()
	if st := c.cmd(line); !strings.HasPrefix(st, "+OK") {
		c.t.Fatalf("%s: %s", line, st)
	}
	var out []string
	for {
		l := c.line()
		if l == "." {
			return out
		}
		out = append(out, l)
	}
}

func (c *client) login(user, pw string) {
	c.t.Helper()
	if r := c.cmd("USER " + user); !strings.HasPrefix(r, "+OK") {
		c.t.Fatalf("USER: %s", r)
	}
	if r := c.cmd("PASS " + pw); !strings.HasPrefix(r, "+OK Mailbox locked and ready") {
		c.t.Fatalf("PASS: %s", r)
	}
}

func (c *client) quit() {
	c.t.Helper()
	if r := c.cmd("QUIT"); r != "+OK" {
		c.t.Fatalf("QUIT: %s", r)
	}
	<-c.done
}
