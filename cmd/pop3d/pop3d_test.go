package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/lib/mailbox/index"
	"gyrus/lib/sasl/store"
)

// The splitting rules below were observed on Cyrus 3.6.1's pop3d (see
// also test/pop3/scripts/errors/syntax.pop).
func TestParseCommand(t *testing.T) {
	for _, c := range []struct {
		in        string
		name, arg string
		hasArg    bool
		syntaxErr bool
	}{
		{"CAPA\r\n", "capa", "", false, false},
		{"CAPA\n", "capa", "", false, false},
		{"capa\r\r\n", "capa", "", false, true},
		{" CAPA\r\n", "", "CAPA", true, false},
		{"\r\n", "", "", false, false},
		{"CAPA\x00junk\r\n", "capa", "", false, false},
		{"USER\talice\r\n", "user", "alice", true, false},
		{"USER   alice  \r\n", "user", "alice  ", true, false},
		{"PASS  secret\r\n", "pass", " secret", true, false},
		{"pAsS \r\n", "pass", "", false, true},
		{"AUTH \r\n", "auth", "", false, false},
		{"AUTH\t\t\r\n", "auth", "", false, false},
		{"AUTH PLAIN =\r\n", "auth", "PLAIN =", true, false},
		{"STAT \r\n", "stat", "", false, true},
		{"NOOP\x00 x\r\n", "noop", "", false, false},
		{"LIST 1 \r\n", "list", "1 ", true, false},
		{"X\xc3\xa9Y z\r\n", "x\xc3\xa9y", "z", true, false},
		{"NOOP x", "noop", "x", true, false},
	} {
		got := parseCommand([]byte(c.in))
		if got.name != c.name || got.arg != c.arg || got.hasArg != c.hasArg || got.syntaxErr != c.syntaxErr {
			t.Errorf("%q: got %+v", c.in, got)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    uint32
		rest string
		ok   bool
	}{
		{"0", 0, "", true}, {"01", 1, "", true}, {"4294967295", 4294967295, "", true},
		{"4294967296", 0, "4294967296", false}, {"42949672950", 0, "42949672950", false},
		{"-1", 0, "-1", false}, {"+1", 0, "+1", false}, {"", 0, "", false}, {"12ab", 12, "ab", true},
		{"00000000000000000001", 1, "", true},
	} {
		n, rest, ok := parseUint32(c.in)
		if n != c.n || rest != c.rest || ok != c.ok {
			t.Errorf("parseUint32(%q) = %d %q %v", c.in, n, rest, ok)
		}
	}
	for in, want := range map[string]string{"1": "", " 1": "", "x": errNotNumber, "1 2": errExtra, "1 ": errExtra, "-1": errNotNumber} {
		if _, e := parseMsgno(in); e != want {
			t.Errorf("parseMsgno(%q) = %q, want %q", in, e, want)
		}
	}
	for _, c := range []struct {
		in    string
		n     uint32
		lines int32
		err   string
	}{
		{"1 0", 1, 0, ""}, {"1", 0, 0, errMissing}, {"", 0, 0, errMissing}, {"x 1", 0, 0, errMissing},
		{"1 x", 0, 0, errBadLines}, {"1 1 x", 0, 0, errExtra}, {"1x 1", 0, 0, errBadLines},
		{"1 ", 0, 0, errBadLines}, {"  2  3", 2, 3, ""}, {"1 4294967295", 1, -1, ""}, {"1 4294967294", 1, -2, ""},
	} {
		n, lines, e := parseTop(c.in)
		if n != c.n || lines != c.lines || e != c.err {
			t.Errorf("parseTop(%q) = %d %d %q", c.in, n, lines, e)
		}
	}
}

const msgDots = "From: a@example.org\r\nSubject: dots\r\n\r\n.one\r\ntwo\r\n.\r\n..three\r\n"

func TestSessionBasics(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.appendMsgs(t, "user.alice", []string{msgDots, "Subject: x\r\n\r\nbody\r\n"})
	c := ts.dial(t)
	if r := c.cmd("STAT"); r != errUnknownCmd {
		t.Errorf("STAT before login: %s", r)
	}
	c.login("alice", "secret")
	if r := c.cmd("STAT"); r != fmt.Sprintf("+OK 2 %d", len(msgDots)+20) {
		t.Errorf("STAT: %s", r)
	}
	got := c.multi("RETR 1")
	want := []string{"From: a@example.org", "Subject: dots", "", "..one", "two", "..", "...three"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("RETR 1: %q", got)
	}
	if got := c.multi("TOP 1 1"); len(got) != 4 || got[3] != "..one" {
		t.Errorf("TOP 1 1: %q", got)
	}
	if got := c.multi("TOP 1 4294967294"); len(got) != 1 || got[0] != "" {
		t.Errorf("TOP 1 4294967294 (a C int of -2: nothing): %q", got)
	}
	if got := c.multi("UIDL"); len(got) != 2 || !strings.HasSuffix(got[1], ".2") {
		t.Errorf("UIDL: %q", got)
	}
	c.quit()
}

// QUIT stores the login time, expunges what was deleted with one modseq
// per message and \Deleted set, and (popuseimapflags) sets \Seen.
func TestQuitUpdate(t *testing.T) {
	ts := newTestServer(t, map[string]string{"popuseimapflags": "yes"})
	ts.appendMsgs(t, "user.alice", []string{msgDots, msgDots, msgDots})
	mb := ts.open(t, "user.alice")
	before := mb.Header()
	mb.Close()

	c := ts.dial(t)
	start := time.Now().Unix()
	c.login("alice", "secret")
	c.multi("RETR 1")
	c.multi("RETR 2")
	c.cmd("DELE 2")
	c.cmd("DELE 3")
	c.quit()

	mb = ts.open(t, "user.alice")
	defer mb.Close()
	h := mb.Header()
	if int64(h.POP3LastLogin) < start || int64(h.POP3LastLogin) > time.Now().Unix() {
		t.Errorf("pop3_last_login %d, session started at %d", h.POP3LastLogin, start)
	}
	if h.Exists != 1 || h.Deleted != 0 {
		t.Errorf("exists %d deleted %d", h.Exists, h.Deleted)
	}
	// two expunges (one modseq each) and one \Seen
	if h.HighestModSeq != before.HighestModSeq+3 {
		t.Errorf("highestmodseq %d -> %d, want +3", before.HighestModSeq, h.HighestModSeq)
	}
	err := mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		switch {
		case r.UID == 1 && (r.Expunged() || r.SystemFlags&index.FlagSeen == 0):
			t.Errorf("uid 1: flags %x/%x, want \\Seen and live", r.SystemFlags, r.InternalFlags)
		case r.UID > 1 && (!r.Expunged() || r.SystemFlags&index.FlagDeleted == 0):
			t.Errorf("uid %d: flags %x/%x, want \\Deleted and expunged", r.UID, r.SystemFlags, r.InternalFlags)
		case r.UID > 1 && r.SystemFlags&index.FlagSeen != 0:
			t.Errorf("uid %d: \\Seen on an expunged message", r.UID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Deletions are expunged at QUIT as expunge_mode says: delayed keeps
// the record (EXPUNGED) and the file until cyr_expire -X; semidelayed
// keeps the record but unlinks the file once the mailbox is closed;
// immediate unlinks the file and drops the record (repack).
func TestExpungeModes(t *testing.T) {
	for _, tc := range []struct {
		mode                 string
		fileKept, recordKept bool
	}{
		{"delayed", true, true},
		{"semidelayed", false, true},
		{"immediate", false, false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			ts := newTestServer(t, map[string]string{"expunge_mode": tc.mode})
			ts.appendMsgs(t, "user.alice", []string{msgDots, msgDots})
			mb := ts.open(t, "user.alice")
			loc := mb.Location()
			path := loc.MessagePath(1)
			mb.Close()
			c := ts.dial(t)
			c.login("alice", "secret")
			c.cmd("DELE 1")
			c.quit()
			if _, err := os.Stat(path); (err == nil) != tc.fileKept {
				t.Errorf("%s after QUIT: %v, want kept=%v", path, err, tc.fileKept)
			}
			mb = ts.open(t, "user.alice")
			var uids []string
			err := mb.ForEachRecord(func(_ uint32, r *index.Record) error {
				uids = append(uids, fmt.Sprintf("%d:%v", r.UID, r.Expunged()))
				return nil
			})
			mb.Close()
			if err != nil {
				t.Fatal(err)
			}
			want := "2:false"
			if tc.recordKept {
				want = "1:true 2:false"
			}
			if got := strings.Join(uids, " "); got != want {
				t.Errorf("records (uid:expunged) after QUIT: %s, want %s", got, want)
			}
			c = ts.dial(t)
			c.login("alice", "secret")
			if r := c.cmd("STAT"); r != fmt.Sprintf("+OK 1 %d", len(msgDots)) {
				t.Errorf("STAT: %s", r)
			}
		})
	}
}

// pop3showafter hides messages delivered at or before that time.
func TestShowAfter(t *testing.T) {
	ts := newTestServer(t, nil)
	now := time.Now().Unix()
	ts.appendMsgs(t, "user.alice", []string{msgDots, msgDots, msgDots}, now-300, now-200, now-100)
	mb := ts.open(t, "user.alice")
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	tx.SetPOP3ShowAfter(uint32(now - 200))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	mb.Close()
	c := ts.dial(t)
	c.login("alice", "secret")
	if got := c.multi("UIDL"); len(got) != 1 || !strings.HasSuffix(got[0], ".3") || !strings.HasPrefix(got[0], "1 ") {
		t.Errorf("UIDL with pop3showafter: %q", got)
	}
}

func TestTimeoutMinimum(t *testing.T) {
	for v, want := range map[string]time.Duration{"1": 10 * time.Minute, "20": 20 * time.Minute, "30s": 10 * time.Minute} {
		ts := newTestServer(t, map[string]string{"poptimeout": v})
		if ts.timeout != want {
			t.Errorf("poptimeout %s: %v, want %v", v, ts.timeout, want)
		}
	}
}

// disconnect_on_vanished_mailbox: a maildrop deleted under the session.
func TestVanished(t *testing.T) {
	ts := newTestServer(t, map[string]string{"disconnect_on_vanished_mailbox": "yes"})
	ts.appendMsgs(t, "user.alice", []string{msgDots})
	c := ts.dial(t)
	c.login("alice", "secret")
	mb := ts.open(t, "user.alice")
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	tx.MarkDeleted()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	go mb.Close() // waits until the session lets go
	if r := c.cmd("NOOP"); r != "-ERR [SYS/TEMP] Maildrop has been (re)moved" {
		t.Errorf("NOOP on a vanished maildrop: %s", r)
	}
}

// A message file that is gone answers Cyrus's error and the session goes on.
func TestMissingFile(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.appendMsgs(t, "user.alice", []string{msgDots, msgDots})
	mb := ts.open(t, "user.alice")
	loc := mb.Location()
	os.Remove(loc.MessagePath(1))
	mb.Close()
	c := ts.dial(t)
	c.login("alice", "secret")
	if r := c.cmd("RETR 1"); r != "-ERR [SYS/PERM] Could not read message file" {
		t.Errorf("RETR of a missing file: %s", r)
	}
	if got := c.multi("RETR 2"); len(got) != 7 {
		t.Errorf("RETR 2: %q", got)
	}
}

// Lines longer than Cyrus's 8191 bytes are split, and a session never
// holds more than one such piece.
func TestLongLine(t *testing.T) {
	ts := newTestServer(t, nil)
	conn := newScriptConn(append(bytes.Repeat([]byte("X"), 1<<20), "\r\nQUIT\r\n"...))
	s := newSession(ts.Server, conn, nil)
	s.run(context.Background())
	out := &conn.out
	if n := strings.Count(out.String(), errUnknownCmd+"\r\n"); n != (1<<20)/maxLine+1 {
		t.Errorf("%d unknown-command answers for a 1 MiB line, want %d", n, (1<<20)/maxLine+1)
	}
	if cap(s.line) > maxSASLLine {
		t.Errorf("line buffer grew to %d", cap(s.line))
	}
	if !strings.HasSuffix(out.String(), "+OK\r\n") {
		t.Errorf("no QUIT answer at the end: %q", out.String()[max(0, out.Len()-100):])
	}
}

func TestAPOPChallenge(t *testing.T) {
	c := newAPOPChallenge("mail.example.org")
	if !strings.HasPrefix(c, "<") || !strings.HasSuffix(c, "@mail.example.org>") || strings.Count(c, ".") < 3 {
		t.Errorf("challenge %q", c)
	}
	if c2 := newAPOPChallenge("mail.example.org"); c2 == c {
		t.Errorf("two sessions got the same challenge %q", c)
	}
}

// poptimeout: an idle session is closed without a word, as Cyrus does.
func TestIdleTimeout(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.timeout = 200 * time.Millisecond
	c := ts.dial(t)
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if l, err := c.br.ReadString('\n'); err == nil || l != "" {
		t.Errorf("idle session: got %q %v, want the connection closed", l, err)
	}
}

// SCRAM over POP3: the server-final message has no place of its own in
// RFC 5034 without success data, so it comes as one more challenge and
// the client answers with an empty line (libsasl does it so for Cyrus).
func TestSCRAM(t *testing.T) {
	ts := newTestServer(t, map[string]string{"sasl_mech_list": "SCRAM-SHA-256 PLAIN"})
	c := ts.dial(t)
	capa := c.multi("CAPA")
	if capa[0] != "SASL SCRAM-SHA-256 PLAIN" {
		t.Errorf("CAPA: %q", capa)
	}
	const cnonce = "rOprNGfwEbeRWgbNEkqO"
	first := "n=alice,r=" + cnonce
	r := c.cmd("AUTH SCRAM-SHA-256 " + base64.StdEncoding.EncodeToString([]byte("n,,"+first)))
	sf, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(r, "+ "))
	if !strings.HasPrefix(r, "+ ") || err != nil {
		t.Fatalf("server-first: %q %v", r, err)
	}
	var nonce, salt string
	iter := 0
	for _, f := range strings.Split(string(sf), ",") {
		switch {
		case strings.HasPrefix(f, "r="):
			nonce = f[2:]
		case strings.HasPrefix(f, "s="):
			salt = f[2:]
		case strings.HasPrefix(f, "i="):
			iter, _ = strconv.Atoi(f[2:])
		}
	}
	rawSalt, _ := base64.StdEncoding.DecodeString(salt)
	salted := store.SaltedPassword(sha256.New, []byte("secret"), rawSalt, iter)
	mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	without := "c=biws,r=" + nonce
	sig := mac(stored[:], first+","+string(sf)+","+without)
	proof := make([]byte, len(clientKey))
	for i := range proof {
		proof[i] = clientKey[i] ^ sig[i]
	}
	r = c.cmd(base64.StdEncoding.EncodeToString([]byte(without + ",p=" + base64.StdEncoding.EncodeToString(proof))))
	fin, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(r, "+ "))
	if !strings.HasPrefix(string(fin), "v=") {
		t.Fatalf("server-final: %q", r)
	}
	if r := c.cmd(""); !strings.HasPrefix(r, "+OK Mailbox locked and ready") {
		t.Fatalf("after the empty answer: %q", r)
	}
	// no security layer: CAPA has no SASL line any more
	if capa := c.multi("CAPA"); strings.HasPrefix(capa[0], "SASL") {
		t.Errorf("CAPA after AUTH: %q", capa)
	}
}
