package imapext

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"gyrus/test/imap"
)

// TestNotifyLatency measures how soon an idling NOTIFY session hears of
// another connection's changes (RFC 5465 with IDLE): a STATUS for an
// APPEND to a watched mailbox (lib/idle's inotify wake-up) and a LIST
// for a CREATE (the mailbox list is re-read every 0.5 s while idling).
// Both must arrive within a second.
func TestNotifyLatency(t *testing.T) {
	in := imap.StartGyrus(t, nil)
	u := imap.User{Name: "ntflat", Password: "secret"}
	if err := in.CreateUser(u); err != nil {
		t.Fatal(err)
	}
	c1 := dialLogin(t, in.Addr("imap"), u)
	c2 := dialLogin(t, in.Addr("imap"), u)
	c2.cmd(t, "b1", "CREATE INBOX.watched")
	c1.cmd(t, "a1", "NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))")
	c1.send(t, "a2 IDLE")
	if l := c1.line(t); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	time.Sleep(300 * time.Millisecond)

	check := func(what, cmd, want string) {
		t.Helper()
		c2.cmd(t, "b2", cmd)
		start := time.Now()
		l := c1.line(t)
		d := time.Since(start)
		if !strings.HasPrefix(l, want) {
			t.Fatalf("%s: got %q, want %q...", what, l, want)
		}
		t.Logf("%s: %s after %v", what, l, d)
		if d > time.Second {
			t.Errorf("%s: told after %v, want within 1 s", what, d)
		}
	}
	check("APPEND", "APPEND INBOX.watched {27+}\r\nFrom: a@b\r\nSubject: x\r\n\r\nhi", "* STATUS INBOX.watched (MESSAGES 1 UIDNEXT 2 ")
	check("CREATE", "CREATE INBOX.fresh", `* LIST () "." INBOX.fresh`)
	c1.send(t, "DONE")
	if l := c1.line(t); l != "a2 OK Completed" {
		t.Fatalf("DONE: %q", l)
	}
	// NOTIFY NONE: nothing more
	c1.cmd(t, "a3", "NOTIFY NONE")
	c2.cmd(t, "b3", "CREATE INBOX.quiet")
	if got := c1.cmd(t, "a4", "NOOP"); len(got) != 0 {
		t.Errorf("after NOTIFY NONE: %q", got)
	}
}

type rawConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialLogin(t *testing.T, addr string, u imap.User) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &rawConn{c: c, r: bufio.NewReader(c)}
	rc.line(t) // greeting
	rc.cmd(t, "l1", fmt.Sprintf("LOGIN %s %s", u.Name, u.Password))
	return rc
}

func (rc *rawConn) send(t *testing.T, s string) {
	t.Helper()
	if _, err := rc.c.Write([]byte(s + "\r\n")); err != nil {
		t.Fatal(err)
	}
}

func (rc *rawConn) line(t *testing.T) string {
	t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := rc.r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (after %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

// cmd sends a command and returns its untagged responses; the tagged
// answer must be OK.
func (rc *rawConn) cmd(t *testing.T, tag, cmd string) []string {
	t.Helper()
	rc.send(t, tag+" "+cmd)
	var out []string
	for {
		l := rc.line(t)
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				t.Fatalf("%s: %q", cmd, l)
			}
			return out
		}
		out = append(out, l)
	}
}
