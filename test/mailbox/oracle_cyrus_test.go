package mailboxtest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"gyrus/lib/idle"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
)

// lmtpDeliver sends msgs to rcpt through real lmtpd.
func (o *oracle) lmtpDeliver(t *testing.T, rcpt string, msgs [][]byte) {
	t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", o.ports["lmtp"]))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReader(c)
	expect := func(code string) {
		t.Helper()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("lmtp: %v", err)
			}
			if !strings.HasPrefix(line, code) {
				t.Fatalf("lmtp: want %s, got %q", code, line)
			}
			if len(line) > 3 && line[3] == ' ' {
				return
			}
		}
	}
	expect("220")
	fmt.Fprintf(c, "LHLO test\r\n")
	expect("250")
	for _, m := range msgs {
		fmt.Fprintf(c, "MAIL FROM:<sender@example.com>\r\n")
		expect("250")
		fmt.Fprintf(c, "RCPT TO:<%s>\r\n", rcpt)
		expect("250")
		fmt.Fprintf(c, "DATA\r\n")
		expect("354")
		for _, line := range bytes.SplitAfter(m, []byte("\r\n")) {
			if len(line) > 0 && line[0] == '.' {
				c.Write([]byte("."))
			}
			c.Write(line)
		}
		fmt.Fprintf(c, ".\r\n")
		expect("250")
	}
	fmt.Fprintf(c, "QUIT\r\n")
}

func testCyrusToGyrus(t *testing.T, o *oracle) {
	loc := o.location("user.alice")
	// a Gyrus process is told at once when real Cyrus changes a mailbox
	w, err := idle.New()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sub, err := w.Subscribe(loc.IndexPath())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	o.lmtpDeliver(t, "alice", [][]byte{[]byte("Subject: ping\r\nMessage-ID: <ping@x>\r\n\r\nping\r\n")})
	select {
	case <-sub.C:
		t.Logf("woken %v after the start of a real Cyrus LMTP delivery", time.Since(start))
	case <-time.After(time.Second):
		t.Error("no wake-up within a second of a real Cyrus delivery")
	}
	sub.Close()

	msgs := corpus()
	all := append([][]byte{}, msgs...)
	for _, m := range msgs { // new Message-IDs, or lmtpd drops them as duplicates
		all = append(all, bytes.Replace(m, []byte("Message-ID: <"), []byte("Message-ID: <copy-"), 1))
	}
	o.lmtpDeliver(t, "alice", all)
	c := o.dial("alice", "alicepw")
	c.must("ENABLE CONDSTORE")
	c.must("SELECT INBOX")
	c.must(`STORE 2:4 +FLAGS (\Flagged Junk)`)
	c.must(`STORE 3,5,7 +FLAGS (\Seen $Label1)`)
	c.must(`STORE 6,8 +FLAGS (\Deleted)`)
	c.must(`STORE 9 +FLAGS (\Answered \Draft NonJunk)`)
	c.must(`STORE 4 -FLAGS (Junk)`)
	c.must(`STORE 3 ANNOTATION (/comment (value.priv "mine" value.shared "everyone's"))`)
	c.must(`STORE 10 ANNOTATION (/comment (value.shared "9"))`)
	c.must("EXPUNGE")

	// Cyrus is running and c still has INBOX selected
	mb, err := mailbox.Open(loc, mailbox.DefaultOptions(), mailbox.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	probs, err := mb.Check(mailbox.CheckOptions{GUIDs: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Errorf("gyrus check of a cyrus mailbox: %v", p)
	}
	h := mb.Header()
	if h.Exists != 9 || h.NumRecords != 11 || h.LastUID != 11 {
		t.Fatalf("header %+v", h)
	}
	// every record, flag, modseq, cache item as Cyrus reports them
	compareFetch(t, o, loc, "INBOX")

	// annotations as Cyrus reports them
	ann := c.must("FETCH 1:* (UID ANNOTATION (/comment (value.priv value.shared)))")
	found := 0
	for _, r := range ann {
		if !bytes.Contains(r, []byte("ANNOTATION")) {
			continue
		}
		var seq, uid int
		fmt.Sscanf(string(r), "* %d FETCH (UID %d", &seq, &uid)
		priv, _ := mb.Annotation(uint32(uid), "/comment", "alice")
		shared, _ := mb.Annotation(uint32(uid), "/comment", "")
		for _, want := range []struct {
			attr string
			v    []byte
		}{{"value.priv", priv}, {"value.shared", shared}} {
			s := "NIL"
			if want.v != nil {
				s = `"` + string(want.v) + `"`
				found++
			}
			if !bytes.Contains(r, []byte(want.attr+" "+s)) {
				t.Errorf("uid %d: cyrus %s, gyrus %s=%s", uid, r, want.attr, s)
			}
		}
	}
	if found != 3 {
		t.Errorf("gyrus found %d annotation values, want 3", found)
	}

	// Gyrus writes while the Cyrus session has the mailbox selected.
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	st, mi := stageInfo(t, loc.StageDir, msgs[1])
	r, err := tx.Append(&mailbox.NewMessage{Staged: st, Info: mi, SystemFlags: index.FlagFlagged})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.SetFlags([]uint32{1}, mailbox.FlagChange{Mode: mailbox.StoreAdd, System: index.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	o.chownCyrus()
	u := c.must("NOOP")
	joined := string(bytes.Join(u, nil))
	if !strings.Contains(joined, "* 10 EXISTS") || !regexp.MustCompile(`\* 1 FETCH \(FLAGS \([^)]*\\Seen`).MatchString(joined) {
		t.Errorf("cyrus session did not see gyrus's changes: %q", joined)
	}
	resp := c.must("UID FETCH %d (UID MODSEQ FLAGS ENVELOPE)", r.UID)
	_, items := fetchItems(t, resp[0])
	e, err := mb.CacheEntry(&r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(items["ENVELOPE"], e.Items[index.CacheEnvelope]) || string(items["MODSEQ"]) != fmt.Sprintf("(%d)", r.ModSeq) {
		t.Errorf("cyrus sees %q", resp[0])
	}
	out, err := o.tool("reconstruct", "-n", "user.alice")
	if err != nil || strings.TrimSpace(out) != "user.alice" {
		t.Errorf("reconstruct -n after gyrus wrote: %v\n%s", err, out)
	}
}
