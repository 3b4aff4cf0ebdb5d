package lmtp_test

import (
	"strings"
	"testing"
)

func TestSmoke(t *testing.T) {
	g := startGyrus(t, nil)
	createMailboxes(t, g, "user.alice")
	r := dialRaw(t, "tcp", g.LMTPAddr())
	t.Log(r.reply())
	r.send("LHLO foo.example\r\nMAIL FROM:<bob@example.com>\r\nRCPT TO:<alice>\r\nRCPT TO:<nobody>\r\nDATA\r\n")
	for _, x := range r.replies(5) {
		t.Log(strings.TrimSpace(x))
	}
	r.send("Subject: hi\r\n\r\nbody\r\n.\r\n")
	t.Log(r.reply())
	files := messageFiles(t, g, "user.alice")
	for _, f := range files {
		t.Logf("%q", f)
	}
}
