package main

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var alicePlain = base64.StdEncoding.EncodeToString([]byte("\x00alice\x00secret"))

// Each case is a session whose answers were recorded from Cyrus 3.6.1's
// timsieved (the greeting taken out): they pin the lexer's error
// recovery, which decides how many answers a bad line gets.
func TestTranscripts(t *testing.T) {
	ts := newTestServer(t, nil)
	login := `AUTHENTICATE "PLAIN" "` + alicePlain + "\"\r\n"
	for _, c := range []struct{ name, in, want string }{
		{"noop", "NOOP\r\nNOOP \"x\"\r\n", "OK \"Done\"\r\nOK (TAG {1}\r\nx) \"Done\"\r\n"},
		{"before login", "LISTSCRIPTS\r\n", "NO \"Authenticate first\"\r\n"},
		{"unknown atom", "foo\r\n", "NO \"Expected a command. Got something else.\"\r\n"},
		{"three bad bytes", "!!!\r\n", strings.Repeat("NO \"Expected a command. Got something else.\"\r\n", 3)},
		{"two strings, before login", "GETSCRIPT \"a\" \"b\"\r\n", "NO \"Authenticate first\"\r\n"},
		{"synchronizing literal", "NOOP {3}\r\nabc\r\n", "NO \"Expected string\"\r\nNO \"Expected a command. Got something else.\"\r\n"},
		{"escapes", "NOOP \"a\\\"b\\\\c\"\r\n", "OK (TAG {5}\r\na\"b\\c) \"Done\"\r\n"},
		{"bad escape", "NOOP \"a\\xb\"\r\n", "NO \"Expected string\"\r\n"},
		{"number for string", "NOOP 123\r\n", "NO \"Expected string\"\r\n"},
		{"trailing space", "NOOP \"x\" \r\n", "NO \"Expected EOL\"\r\n"},
		{"bare CR", "NOOP\r\r\n", "NO \"Expected SPACE\"\r\n"},
		{"paren", "NOOP (\r\n", "NO \"Expected string\"\r\n"},
		{"STARTTLS when not offered", "STARTTLS\r\n", "NO \"Expected a command. Got something else.\"\r\n"},
		{"unauthenticate before login", "UNAUTHENTICATE\r\n", "NO \"Authenticate first\"\r\n"},
		{"logout", "LOGOUT\r\nNOOP\r\n", "OK \"Logout Complete\"\r\n"},
		{"logout garbage", "LOGOUT x\r\n", "NO \"Garbage after logout command\"\r\nNO \"Expected a command. Got something else.\"\r\n"},
		{"bad auth", "AUTHENTICATE \"PLAIN\" \"AGFsaWNlAHdyb25n\"\r\n", "NO \"Authentication Error\"\r\n"},
		{"bad base64", "AUTHENTICATE \"PLAIN\" \"!!\"\r\n", "NO \"Authentication Error\"\r\n"},
		{"unknown mechanism", "AUTHENTICATE \"FOO\"\r\n", "NO \"Authentication Error\"\r\n"},
		{"empty response", "AUTHENTICATE \"PLAIN\"\r\n\"\"\r\n", "{0}\r\n\r\nNO \"Authentication Error\"\r\n"},
		{"LOGIN cancelled", "AUTHENTICATE \"LOGIN\"\r\n\"YWxpY2U=\"\r\n\"*\"\r\n",
			"{12}\r\nVXNlcm5hbWU6\r\n{12}\r\nUGFzc3dvcmQ6\r\nNO \"Authentication Error\"\r\n"},
		{"LOGIN star", "AUTHENTICATE \"LOGIN\"\r\n*\r\n", "{12}\r\nVXNlcm5hbWU6\r\nNO \"Authentication Error\"\r\n"},
		{"literal IR", "AUTHENTICATE \"PLAIN\" {20+}\r\n" + alicePlain + "\r\nLISTSCRIPTS\r\n", "OK\r\nOK\r\n"},
		{"scripts", login +
			"PUTSCRIPT \"s1\" {5+}\r\nkeep;\r\n" +
			"PUTSCRIPT \"bad\" {4+}\r\nbad;\r\n" +
			"SETACTIVE \"s1\"\r\nLISTSCRIPTS\r\nGETSCRIPT \"s1\"\r\n" +
			"HAVESPACE \"x\" 100000\r\nHAVESPACE \"x\" 100\r\n" +
			"DELETESCRIPT \"s1\"\r\nRENAMESCRIPT \"s1\" \"s2\"\r\nLISTSCRIPTS\r\n" +
			"SETACTIVE \"\"\r\nDELETESCRIPT \"s2\"\r\nLISTSCRIPTS\r\nGETSCRIPT \"s2\"\r\n",
			"OK\r\nOK\r\nNO {22}\r\nline 1: syntax error\r\n\r\nOK\r\n\"s1\" ACTIVE\r\nOK\r\n{5}\r\nkeep;\r\nOK\r\n" +
				"NO (QUOTA/MAXSIZE) \"Script size is too large. Max script size is 32768 bytes\"\r\nOK\r\n" +
				"NO (ACTIVE) \"Active script cannot be deleted\"\r\nOK\r\n\"s2\" ACTIVE\r\nOK\r\n" +
				"OK\r\nOK\r\nOK\r\nNO (NONEXISTENT) \"Script does not exist\"\r\n"},
		{"names", login + "PUTSCRIPT \"a/b\" \"keep;\"\r\nGETSCRIPT \"\"\r\nRENAMESCRIPT \"\" \"x\"\r\nRENAMESCRIPT \"x\" \"\"\r\n" +
			"RENAMESCRIPT \"x\" \"y\"\r\nSETACTIVE \"nope\"\r\nDELETESCRIPT \"nope\"\r\n",
			"OK\r\nNO \"Invalid script name\"\r\nNO \"Invalid script name\"\r\nNO \"Invalid old script name\"\r\n" +
				"NO \"Invalid new script name\"\r\nNO (NONEXISTENT) \"Script x does not exist\"\r\n" +
				"NO (NONEXISTENT) \"Script does not exist\"\r\nNO (NONEXISTENT) \"Script does not exist\"\r\n"},
		{"too big literal", login + "PUTSCRIPT \"g\" {40000+}\r\n" + strings.Repeat("x", 40000) + "\r\nNOOP\r\n",
			"OK\r\nNO \"Did not specify legal script data length\"\r\nOK \"Done\"\r\n"},
		{"already authenticated", login + login + "CAPABILITY extra\r\n", "OK\r\nNO \"Already authenticated\"\r\nNO \"Expected EOL\"\r\nNO \"Expected a command. Got something else.\"\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := strings.TrimPrefix(ts.transcript(t, c.in), ts.greeting(t))
			got = strings.TrimSuffix(got, "BYE \"Shutdown TCP timeout\"\r\n")
			// a logged-in session's own answers only
			if got != c.want {
				t.Errorf("input %q:\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

func TestGreeting(t *testing.T) {
	ts := newTestServer(t, nil)
	g := ts.greeting(t)
	want := "\"IMPLEMENTATION\" \"Gyrus timsieved"
	if !strings.HasPrefix(g, want) || !strings.Contains(g, "\r\n\"VERSION\" \"1.0\"\r\n\"SASL\" \"PLAIN LOGIN\"\r\n\"SIEVE\" ") ||
		!strings.Contains(g, "\"SIEVE\" \""+ts.sieveCapability+"\"\r\n") ||
		!strings.HasSuffix(g, "\"UNAUTHENTICATE\"\r\nOK\r\n") ||
		strings.Contains(g, "\"NOTIFY\" \"mailto\"\r\n") != ts.sieveWords["enotify"] ||
		strings.Contains(g, "\"EXTLISTS\"") != ts.sieveWords["extlists"] {
		t.Errorf("greeting %q", g)
	}
	out := ts.transcript(t, "AUTHENTICATE \"PLAIN\" \""+alicePlain+"\"\r\nCAPABILITY\r\nUNAUTHENTICATE\r\nCAPABILITY\r\n")
	if !strings.Contains(out, "\"OWNER\" \"alice\"\r\n\"UNAUTHENTICATE\"\r\nOK\r\nOK\r\n") {
		t.Errorf("after login: %q", out)
	}
	if strings.Count(out, "\"SASL\"") != 2 {
		t.Errorf("SASL should be listed before login and after UNAUTHENTICATE only: %q", out)
	}
}

func TestMaxScripts(t *testing.T) {
	ts := newTestServer(t, map[string]string{"sieve_maxscripts": "2", "sieve_maxscriptsize": "1"})
	in := "AUTHENTICATE \"PLAIN\" \"" + alicePlain + "\"\r\n"
	for _, n := range []string{"a", "b", "c", "a"} {
		in += "PUTSCRIPT \"" + n + "\" \"keep;\"\r\n"
	}
	in += "HAVESPACE \"z\" 1\r\nPUTSCRIPT \"q\" {1025+}\r\n" + strings.Repeat("#", 1025) + "\r\nHAVESPACE \"z\" 1025\r\n"
	out := ts.transcript(t, in)
	quota := "NO (QUOTA/MAXSCRIPTS) \"You are only allowed 2 scripts on this server\"\r\n"
	want := "OK\r\nOK\r\nOK\r\n" + quota + quota + quota + "NO \"Did not specify legal script data length\"\r\n" +
		"NO (QUOTA/MAXSIZE) \"Script size is too large. Max script size is 1024 bytes\"\r\n"
	if !strings.Contains(out, want) {
		t.Errorf("got %q\nwant ...%q", out, want)
	}
}

// The files of a user are in Cyrus 3.6.1's place for her INBOX: by its
// mailbox id.
func TestLayout(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.transcript(t, "AUTHENTICATE \"PLAIN\" \""+alicePlain+"\"\r\nPUTSCRIPT \"x y\" \"keep;\"\r\nSETACTIVE \"x y\"\r\n")
	e, err := ts.list.Lookup("user.alice")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(ts.dir, "sieve", "uuid", e.UniqueID[:1], e.UniqueID[1:2], e.UniqueID)
	if b, err := os.ReadFile(filepath.Join(dir, "x y.script")); err != nil || string(b) != "keep;" {
		t.Errorf("script: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "x y.bc")); err != nil || string(b) != "BC:keep;" {
		t.Errorf("bytecode: %q %v", b, err)
	}
	if l, err := os.Readlink(filepath.Join(dir, "defaultbc")); err != nil || l != "x y.bc" {
		t.Errorf("defaultbc -> %q %v", l, err)
	}
}

// A user without an INBOX cannot log in (Cyrus 3.6.1 needs it for the
// script directory).
func TestNoInbox(t *testing.T) {
	ts := newTestServer(t, nil)
	if err := ts.auth.Store().SetPassword("bob", "localhost", []byte("pw")); err != nil {
		t.Fatal(err)
	}
	p := base64.StdEncoding.EncodeToString([]byte("\x00bob\x00pw"))
	out := ts.transcript(t, "AUTHENTICATE \"PLAIN\" \""+p+"\"\r\n")
	if !strings.HasSuffix(out, "NO \"Authentication Error\"\r\nBYE \"Shutdown TCP timeout\"\r\n") {
		t.Errorf("got %q", out)
	}
}

// A client silent for longer than the timeout is told goodbye and
// disconnected (Cyrus: the timeout key, at least 10 minutes; shortened
// here).
func TestIdleTimeout(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.timeout = 200 * time.Millisecond
	srv, cli := net.Pipe()
	defer cli.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		newSession(ts.Server, srv, nil).run(context.Background())
		srv.Close()
	}()
	b, _ := io.ReadAll(cli)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end")
	}
	if !strings.HasSuffix(string(b), "OK\r\nBYE \"Shutdown TCP timeout\"\r\n") {
		t.Errorf("got %q", b)
	}
}
