package imapd

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRecentClaimedOnce: a message appended while another session of the
// owner idles on the mailbox is \Recent in exactly one of the two
// sessions (RFC 3501 2.3.2), however the wake-up of the idler and the
// appender's own update interleave. Before the claim was made under the
// mailbox lock, both sessions could call it \Recent.
func TestRecentClaimedOnce(t *testing.T) {
	s := startServer(t, false)
	a := s.dialRaw(t, "alice", alicePass)
	b := s.dialRaw(t, "alice", alicePass)
	a.ok(t, "SELECT INBOX")
	b.ok(t, "SELECT INBOX")
	for round := 1; round <= 15; round++ {
		msg := fmt.Sprintf("Subject: round %d\r\n\r\nbody\r\n", round)
		// A idles; B appends; A leaves IDLE after the EXISTS reaches it.
		a.w.WriteString("idle1 IDLE\r\n")
		a.w.Flush()
		if l, err := a.line(); err != nil || !strings.HasPrefix(l, "+") {
			t.Fatalf("IDLE: %q %v", l, err)
		}
		b.ok(t, fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(msg), msg))
		deadline := time.Now().Add(10 * time.Second)
		for {
			l, err := a.line()
			if err != nil || time.Now().After(deadline) {
				t.Fatalf("round %d: no EXISTS while idling: %q %v", round, l, err)
			}
			if strings.HasSuffix(l, " EXISTS") {
				break
			}
		}
		a.w.WriteString("DONE\r\n")
		a.w.Flush()
		for {
			l, err := a.line()
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(l, "idle1 ") {
				break
			}
		}
		uid := fmt.Sprint(round)
		recentIn := 0
		for _, c := range []*rawConn{a, b} {
			for _, l := range c.ok(t, "UID FETCH "+uid+" (FLAGS)") {
				if strings.Contains(l, "UID "+uid) && strings.Contains(l, `\Recent`) {
					recentIn++
				}
			}
		}
		if recentIn != 1 {
			t.Fatalf("round %d: UID %s is \\Recent in %d sessions, want 1", round, uid, recentIn)
		}
	}
}
