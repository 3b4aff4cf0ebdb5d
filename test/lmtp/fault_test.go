package lmtp_test

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"gyrus/lib/config"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/test/harness"
)

// TestFaultKill: 8 LMTP clients deliver while lmtpd processes are
// SIGKILLed every few hundred milliseconds of uptime (the test starts a
// new one at once, as master would). A client whose connection breaks
// retries the message on a new connection, as an MTA does.
// Every message that got a 250 must be in its mailbox exactly once; a
// message may be there twice only if a client had sent it before
// without getting an answer (and retried, as an MTA does); nothing
// else may be there (no message file outside the index either); every
// mailbox must pass lib/mailbox's Check (index, cache, counters, GUIDs
// of the files). Duplicate suppression is on, as by default.
//
// GYRUS_LMTP_FAULT_N sets the number of messages: 600 by default, 200
// with -short; the figure is 5000 (GYRUS_LMTP_FAULT_N=5000).
func TestFaultKill(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 200
	}
	if v, err := strconv.Atoi(os.Getenv("GYRUS_LMTP_FAULT_N")); err == nil && v > 0 {
		n = v
	}
	if !harness.Have(t, "lmtpd") || !harness.Have(t, "imapd") {
		t.Skip("lmtpd or imapd does not build")
	}
	g := startGyrusAllow(t, map[string]string{"duplicatesuppression": "1"}, []string{`mailbox_commit_recovered`})
	users := []string{"f0", "f1", "f2", "f3"}
	var setup []string
	for _, u := range users {
		setup = append(setup, "CREATE user."+u)
	}
	adminSetup(t, g, g.imapAddr(), "admin", "adminpw", setup)

	// lmtpd runs standalone (master would rightly disable a service
	// that keeps dying); the killer SIGKILLs it every few hundred
	// milliseconds and starts a new one at once.
	port := harness.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	bin := harness.Bin(t, "lmtpd")
	var pmu sync.Mutex
	var cur *exec.Cmd
	// the processes' stderr (shown if the test fails)
	logPath := filepath.Join(t.TempDir(), "lmtpd.stderr")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("lmtpd stderr (last 4 KB):\n%s", b[max(0, len(b)-4096):])
		}
	}()
	startLmtpd := func() {
		cmd := exec.Command(bin, "-C", g.in.IMAPDConf, "-a", "--listen", addr)
		cmd.Stderr = logFile
		if err := cmd.Start(); err != nil {
			t.Error(err)
			return
		}
		pmu.Lock()
		cur = cmd
		pmu.Unlock()
	}
	startLmtpd()
	stop := make(chan struct{})
	var kills atomic.Int64
	var kwg sync.WaitGroup
	kwg.Add(1)
	go func() {
		defer kwg.Done()
		for {
			// the new process's uptime counts from when it listens (on
			// a loaded machine starting takes longer than the interval)
			for t0 := time.Now(); time.Since(t0) < 30*time.Second && !isClosed(stop); time.Sleep(10 * time.Millisecond) {
				if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
					c.Close()
					break
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(150+rand.IntN(350)) * time.Millisecond):
			}
			pmu.Lock()
			c := cur
			pmu.Unlock()
			if c != nil {
				if c.Process.Kill() == nil {
					kills.Add(1)
				}
				c.Wait()
			}
			startLmtpd()
		}
	}()
	defer func() {
		pmu.Lock()
		c := cur
		pmu.Unlock()
		if c != nil {
			c.Process.Kill()
			c.Wait()
		}
	}()

	type state struct {
		acked      bool
		unanswered int
	}
	states := make([]state, n)
	var next atomic.Int64
	var cwg sync.WaitGroup
	errc := make(chan error, 8)
	deadline := time.Now().Add(max(10*time.Minute, time.Duration(n)*200*time.Millisecond))
	var tempFails atomic.Int64
	for w := 0; w < 8; w++ {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			var cl *smtp.Client
			defer func() {
				if cl != nil {
					cl.Close()
				}
			}()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				lastOK := time.Now()
				for {
					if time.Now().After(deadline) {
						errc <- fmt.Errorf("message %d: no delivery before the deadline", i)
						return
					}
					if cl == nil {
						c, err := net.DialTimeout("tcp", addr, 2*time.Second)
						if err != nil {
							if time.Since(lastOK) > time.Minute {
								errc <- fmt.Errorf("message %d: cannot connect for a minute: %v", i, err)
								return
							}
							time.Sleep(50 * time.Millisecond)
							continue
						}
						lastOK = time.Now()
						cl = smtp.NewClientLMTP(c)
						cl.CommandTimeout, cl.SubmissionTimeout = 20*time.Second, 20*time.Second
						if err := cl.Hello("fault.example"); err != nil {
							cl.Close()
							cl = nil
							continue
						}
					}
					sent, err := sendOne(cl, i, users[i%len(users)])
					if err == nil {
						states[i].acked = true
						break
					}
					var se *smtp.SMTPError
					if errors.As(err, &se) && se.Code/100 == 5 {
						errc <- fmt.Errorf("message %d: permanent failure %v", i, err)
						return
					}
					if errors.As(err, &se) {
						tempFails.Add(1) // answered 4xx: this attempt must leave nothing
					} else if sent {
						states[i].unanswered++ // the message went out, no answer came
					}
					cl.Close()
					cl = nil
				}
			}
		}()
	}
	cwg.Wait()
	close(stop)
	kwg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	// what is in the mailboxes
	count := map[string]int{}
	c, err := config.Load(g.in.IMAPDConf, "lmtpd")
	if err != nil {
		t.Fatal(err)
	}
	s, err := mboxlist.SettingsFromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	list, err := mboxlist.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	defer list.Close()
	for _, u := range users {
		e, err := list.Lookup("user." + u)
		if err != nil {
			t.Fatal(err)
		}
		loc, err := s.Locate(e)
		if err != nil {
			t.Fatal(err)
		}
		mb, err := mailbox.Open(loc, s.Mailbox, mailbox.ReadOnly)
		if err != nil {
			t.Fatal(err)
		}
		if probs, err := mb.Check(mailbox.CheckOptions{GUIDs: true}); err != nil || len(probs) > 0 {
			t.Errorf("user.%s: check: %v %v", u, err, probs)
		}
		v, err := mb.NewView()
		if err != nil {
			t.Fatal(err)
		}
		indexed := map[string]bool{}
		for seq := uint32(1); seq <= v.Len(); seq++ {
			m := v.Msg(seq)
			p := loc.MessagePath(m.UID)
			indexed[filepath.Base(p)] = true
			id := messageID(t, p)
			count[id]++
		}
		mb.Close()
		// nothing on disk that the index does not know (a delivery
		// killed before its commit leaves no file behind)
		dir := filepath.Dir(loc.MessagePath(1))
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			name := e.Name()
			if strings.HasSuffix(name, ".") && strings.Trim(name, "0123456789") == "." && !indexed[name] {
				t.Errorf("user.%s: message file %s is not in the index", u, name)
			}
		}
	}
	dups, extra := 0, 0
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("<fault-%d@test.example>", i)
		k := count[id]
		delete(count, id)
		switch {
		case k == 0:
			t.Errorf("message %d acked=%v is missing", i, states[i].acked)
		case k > 1+states[i].unanswered:
			t.Errorf("message %d is there %d times (%d attempts without an answer)", i, k, states[i].unanswered)
		case k > 1:
			dups++
		}
	}
	for id, k := range count {
		extra++
		t.Errorf("unexpected message %s (%d times)", id, k)
	}
	unanswered := 0
	for _, st := range states {
		unanswered += st.unanswered
	}
	t.Logf("%d messages, %d lmtpd processes killed, %d attempts without an answer, %d answered 4xx, %d messages twice (each after such an attempt), %d unexpected", n, kills.Load(), unanswered, tempFails.Load(), dups, extra)
	if kills.Load() == 0 {
		t.Error("no lmtpd process was killed: the test did not test anything")
	}
}

// sendOne delivers message i; sent tells whether the message itself
// went out (so that a missing answer may hide a delivery).
func sendOne(cl *smtp.Client, i int, user string) (sent bool, err error) {
	if err := cl.Mail("sender@example.com", nil); err != nil {
		return false, err
	}
	if err := cl.Rcpt(user+"@localhost", nil); err != nil {
		return false, err
	}
	w, err := cl.Data()
	if err != nil {
		return false, err
	}
	body := fmt.Sprintf("From: sender@example.com\r\nTo: %s@localhost\r\nSubject: fault %d\r\nDate: Mon, 02 Jan 2023 10:00:00 +0000\r\nMessage-ID: <fault-%d@test.example>\r\n\r\n%s\r\n",
		user, i, i, strings.Repeat("line of the message body\r\n", 1+i%50))
	if _, err := w.Write([]byte(body)); err != nil {
		return true, err
	}
	_, err = w.CloseWithLMTPResponse()
	return true, err
}

func messageID(t testing.TB, path string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l == "\r" {
			break
		}
		if strings.HasPrefix(l, "Message-ID: ") {
			return strings.TrimSpace(strings.TrimPrefix(l, "Message-ID: "))
		}
	}
	return "none in " + filepath.Base(path)
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
