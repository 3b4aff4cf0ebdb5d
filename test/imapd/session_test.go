package imapd

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"gyrus/test/harness"
)

// events collects what the server says unasked (EXISTS, EXPUNGE).
type events struct {
	exists   chan uint32
	expunges chan uint32
	fetches  chan *imapclient.FetchMessageBuffer
}

func newEvents() *events {
	return &events{exists: make(chan uint32, 64), expunges: make(chan uint32, 100000),
		fetches: make(chan *imapclient.FetchMessageBuffer, 100000)}
}

func (e *events) handler() *imapclient.UnilateralDataHandler {
	return &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case e.exists <- *d.NumMessages:
				default:
				}
			}
		},
		Expunge: func(seq uint32) {
			select {
			case e.expunges <- seq:
			default:
			}
		},
		Fetch: func(msg *imapclient.FetchMessageData) {
			buf, err := msg.Collect()
			if err != nil {
				return
			}
			select {
			case e.fetches <- buf:
			default:
			}
		},
	}
}

// dialGo connects go-imap's client to the plain IMAP port and logs in.
func dialGo(t *testing.T, addr, user, pass string, ev *events) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, &imapclient.Options{
		TLSConfig:             &tls.Config{InsecureSkipVerify: true},
		UnilateralDataHandler: ev.handler(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("LOGIN %s: %v", user, err)
	}
	return c
}

func uidRange(a, b uint32) imap.UIDSet {
	return imap.UIDSet{{Start: imap.UID(a), Stop: imap.UID(b)}}
}

func uids(from, to int) []imap.UID {
	var u []imap.UID
	for i := from; i <= to; i++ {
		u = append(u, imap.UID(i))
	}
	return u
}

// deliver sends one message to user over LMTP (lmtpd, another process
// than the imapd serving the client) and returns when lmtpd said 250.
func deliver(t *testing.T, s *server, user string, msg []byte) {
	t.Helper()
	deliverTo(t, s.Addr("lmtp"), user, msg)
}

// deliverTo delivers over LMTP to any server's pre-authorised port.
func deliverTo(t *testing.T, lmtpAddr, user string, msg []byte) {
	t.Helper()
	l := harness.LMTPClient(t, "tcp", lmtpAddr)
	if err := l.Mail("sender@example.net", nil); err != nil {
		t.Fatalf("LMTP MAIL: %v", err)
	}
	if err := l.Rcpt(user+"@localhost", nil); err != nil {
		t.Fatalf("LMTP RCPT: %v", err)
	}
	w, err := l.Data()
	if err != nil {
		t.Fatalf("LMTP DATA: %v", err)
	}
	if _, err := w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("LMTP delivery: %v", err)
	}
}

func newMail(subject string) []byte {
	return []byte("From: Carol <carol@example.net>\r\nTo: alice@localhost\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@example.net>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nhello\r\n")
}

// TestGoIMAPSession is a mail client's day with go-imap v2: sync a
// mailbox of 5,000 messages (headers, then every body), flag, search,
// move, and IDLE until a delivery by lmtpd arrives.
func TestGoIMAPSession(t *testing.T) {
	t.Parallel()
	n := mailboxSize(t)
	exp := expectations(t, testCorpus(), n)
	s := startServer(t, false)

	t0 := time.Now()
	ld := s.dialRaw(t, "alice", alicePass)
	ld.load(t, "INBOX", exp, 250)
	ld.logout()
	t.Logf("loaded %d messages by MULTIAPPEND in %v", n, time.Since(t0).Round(time.Millisecond))
	runGoSession(t, s.Addr("imap"), s.Addr("lmtp"), exp)
}

// TestSessionsOnCyrus runs the go-imap and the imaplib sessions, with
// the same checks, on the real Cyrus 3.6.1 (the oracle), 300 messages
// each (Cyrus fsyncs every APPEND): what the checks expect (a second
// session's EXPUNGEs before its FETCH FLAGS, .SILENT answers for \Recent
// messages, IDLE within a second...) is Cyrus's behaviour, not only
// Gyrus's.
func TestSessionsOnCyrus(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: the oracle takes tens of seconds to start")
	}
	exp := expectations(t, testCorpus(), min(mailboxSize(t), 300))
	o := harness.StartOracle(t, harness.OracleOptions{NoTLS: true})
	adm := dialRawAddr(t, o.Addr("imap"), "cyrus", "cyrus-admin-pw")
	for _, u := range []struct{ name, pass string }{{"alice", alicePass}, {"bob", bobPass}} {
		o.AddUser(t, u.name, u.pass)
		adm.ok(t, "CREATE user."+u.name+".Archive")
		ld := dialRawAddr(t, o.Addr("imap"), u.name, u.pass)
		ld.load(t, "INBOX", exp, 100)
		ld.logout()
	}
	adm.logout()
	t.Run("go-imap", func(t *testing.T) { runGoSession(t, o.Addr("imap"), o.Addr("lmtp"), exp) })
	t.Run("imaplib", func(t *testing.T) {
		python(t)
		runPython(t, o.Addr("imap"), o.Addr("lmtp"), exp)
	})
}

// runGoSession is the session as alice, whose INBOX holds exp (UIDs
// 1..len(exp), at least 300) and who has INBOX.Archive.
func runGoSession(t *testing.T, imapAddr, lmtpAddr string, exp []expect) {
	t.Helper()
	n := len(exp)
	ev := newEvents()
	c := dialGo(t, imapAddr, "alice", alicePass, ev)
	for _, capa := range []imap.Cap{imap.CapIdle, imap.CapMove, imap.CapUIDPlus} {
		if !c.Caps().Has(capa) {
			t.Errorf("capability %s missing after LOGIN: %v", capa, c.Caps())
		}
	}

	// SELECT
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatalf("SELECT INBOX: %v", err)
	}
	if sel.NumMessages != uint32(n) || sel.UIDNext != imap.UID(n+1) || sel.UIDValidity == 0 {
		t.Fatalf("SELECT: %d messages, UIDNEXT %d, UIDVALIDITY %d; want %d, %d, nonzero", sel.NumMessages, sel.UIDNext, sel.UIDValidity, n, n+1)
	}
	for _, f := range []imap.Flag{imap.FlagSeen, imap.FlagFlagged, imap.FlagDeleted} {
		if !slices.Contains(sel.PermanentFlags, f) {
			t.Errorf("PERMANENTFLAGS %v lack %s", sel.PermanentFlags, f)
		}
	}

	// header sync: FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)
	t1 := time.Now()
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
		UID: true, Flags: true, RFC822Size: true, Envelope: true,
	}).Collect()
	if err != nil {
		t.Fatalf("FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE): %v", err)
	}
	t.Logf("FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE) of %d: %v", len(msgs), time.Since(t1).Round(time.Millisecond))
	if len(msgs) != n {
		t.Fatalf("FETCH 1:* returned %d messages, want %d", len(msgs), n)
	}
	bad := 0
	for i, m := range msgs {
		e := exp[i]
		var problems []string
		if m.SeqNum != uint32(i+1) || m.UID != imap.UID(i+1) {
			problems = append(problems, fmt.Sprintf("seq %d uid %d", m.SeqNum, m.UID))
		}
		if m.RFC822Size != int64(len(e.raw)) {
			problems = append(problems, fmt.Sprintf("RFC822.SIZE %d, want %d", m.RFC822Size, len(e.raw)))
		}
		// first SELECT since the APPENDs: \Recent and nothing else
		if len(m.Flags) != 1 || m.Flags[0] != recent {
			problems = append(problems, fmt.Sprintf("flags %v, want [\\Recent]", m.Flags))
		}
		switch env := m.Envelope; {
		case env == nil:
			problems = append(problems, "no ENVELOPE")
		default:
			if env.Subject != e.subject {
				problems = append(problems, fmt.Sprintf("subject %q, want %q", env.Subject, e.subject))
			}
			if env.MessageID != e.messageID {
				problems = append(problems, fmt.Sprintf("message-id %q, want %q", env.MessageID, e.messageID))
			}
			if len(env.From) != 1 || env.From[0].Addr() != e.from {
				problems = append(problems, fmt.Sprintf("from %v, want %s", env.From, e.from))
			}
			if !env.Date.Equal(e.date) {
				problems = append(problems, fmt.Sprintf("date %v, want %v", env.Date, e.date))
			}
		}
		if len(problems) > 0 {
			if bad++; bad <= 5 {
				t.Errorf("message %d: %s", i+1, strings.Join(problems, "; "))
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d messages wrong in the header sync", bad, n)
	}

	// body sync: FETCH 1:* BODY.PEEK[], in batches as clients do
	section := &imap.FetchItemBodySection{Peek: true}
	t2 := time.Now()
	var total int
	for start := 1; start <= n; start += 1000 {
		stop := min(start+999, n)
		bodies, err := c.Fetch(imap.SeqSet{{Start: uint32(start), Stop: uint32(stop)}}, &imap.FetchOptions{
			UID: true, BodySection: []*imap.FetchItemBodySection{section},
		}).Collect()
		if err != nil {
			t.Fatalf("FETCH %d:%d BODY.PEEK[]: %v", start, stop, err)
		}
		if len(bodies) != stop-start+1 {
			t.Fatalf("FETCH %d:%d BODY.PEEK[]: %d answers", start, stop, len(bodies))
		}
		for _, m := range bodies {
			got := m.FindBodySection(section)
			if want := exp[m.UID-1].raw; !bytes.Equal(got, want) {
				t.Fatalf("BODY[] of UID %d: %d bytes, want the %d appended", m.UID, len(got), len(want))
			}
			if slices.Contains(m.Flags, imap.FlagSeen) {
				t.Fatalf("FETCH BODY.PEEK[] of UID %d sent flags %v: PEEK must not set \\Seen", m.UID, m.Flags)
			}
			total += len(got)
		}
	}
	t.Logf("FETCH BODY.PEEK[] of %d messages (%d bytes): %v", n, total, time.Since(t2).Round(time.Millisecond))

	// a second device has the INBOX open too
	ev2 := newEvents()
	c2 := dialGo(t, imapAddr, "alice", alicePass, ev2)
	if sel2, err := c2.Select("INBOX", nil).Wait(); err != nil || sel2.NumMessages != uint32(n) {
		t.Fatalf("second session's SELECT INBOX: %+v, %v", sel2, err)
	}

	// STORE: flag 1:100, mark 101:300 read (silently), unflag a keyword
	stored, err := c.Store(imap.SeqSet{{Start: 1, Stop: 100}}, &imap.StoreFlags{
		Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged, "$Work"},
	}, nil).Collect()
	if err != nil {
		t.Fatalf("STORE 1:100 +FLAGS: %v", err)
	}
	if len(stored) != 100 {
		t.Fatalf("STORE 1:100 +FLAGS answered %d FETCHes, want 100", len(stored))
	}
	for _, m := range stored {
		if !slices.Contains(m.Flags, imap.FlagFlagged) || !slices.Contains(m.Flags, "$Work") {
			t.Fatalf("STORE answer for %d: flags %v", m.SeqNum, m.Flags)
		}
	}
	silent, err := c.Store(imap.SeqSet{{Start: 101, Stop: 300}}, &imap.StoreFlags{
		Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen},
	}, nil).Collect()
	// Cyrus 3.6.1 (and so Gyrus) still reports the flags of \Recent
	// messages after a .SILENT store (asked of the oracle); either way
	// what is reported must hold \Seen
	if err != nil || len(silent) != 0 && len(silent) != 200 {
		t.Fatalf("STORE 101:300 +FLAGS.SILENT: %d answers, %v", len(silent), err)
	}
	for _, m := range silent {
		if !slices.Contains(m.Flags, imap.FlagSeen) {
			t.Fatalf("STORE 101:300 +FLAGS.SILENT answered %d with %v", m.SeqNum, m.Flags)
		}
	}
	if _, err := c.Store(imap.SeqSet{{Start: 1, Stop: 10}}, &imap.StoreFlags{
		Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{"$Work"},
	}, nil).Collect(); err != nil {
		t.Fatalf("STORE 1:10 -FLAGS.SILENT: %v", err)
	}

	// UID SEARCH
	search := func(what string, crit *imap.SearchCriteria, want []imap.UID) {
		t.Helper()
		t0 := time.Now()
		d, err := c.UIDSearch(crit, nil).Wait()
		if err != nil {
			t.Errorf("UID SEARCH %s: %v", what, err)
			return
		}
		got := d.AllUIDs()
		t.Logf("UID SEARCH %s: %d hits in %v", what, len(got), time.Since(t0).Round(time.Millisecond))
		if !slices.Equal(got, want) {
			t.Errorf("UID SEARCH %s: %d hits %v, want %d %v", what, len(got), head(got), len(want), head(want))
		}
	}
	var fromWant, rareWant, unseenWant []imap.UID
	sender := exp[17].from
	for i, e := range exp {
		if e.from == sender {
			fromWant = append(fromWant, imap.UID(i+1))
		}
		if e.rare {
			rareWant = append(rareWant, imap.UID(i+1))
		}
		if i < 100 || i >= 300 {
			unseenWant = append(unseenWant, imap.UID(i+1))
		}
	}
	if len(rareWant) == 0 {
		t.Fatalf("the corpus has no message with %q", rareWord)
	}
	search("FLAGGED", &imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}}, uids(1, 100))
	search("KEYWORD $Work", &imap.SearchCriteria{Flag: []imap.Flag{"$Work"}}, uids(11, 100))
	search("UNSEEN", &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, unseenWant)
	search("FROM "+sender, &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: sender}}}, fromWant)
	search("BODY "+rareWord, &imap.SearchCriteria{Body: []string{rareWord}}, rareWant)
	search("FLAGGED BODY "+rareWord, &imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}, Body: []string{rareWord}},
		slices.DeleteFunc(slices.Clone(rareWant), func(u imap.UID) bool { return u > 100 }))

	// MOVE UIDs 1:50 to the archive (RFC 6851): COPYUID, 50 EXPUNGEs
	drain(ev.expunges)
	md, err := c.Move(uidRange(1, 50), "INBOX.Archive").Wait()
	if err != nil {
		t.Fatalf("UID MOVE 1:50 INBOX.Archive: %v", err)
	}
	if md.UIDValidity == 0 || fmt.Sprint(md.SourceUIDs) != "1:50" || fmt.Sprint(md.DestUIDs) != "1:50" {
		t.Errorf("MOVE COPYUID: validity %d, source %v, dest %v; want 1:50 -> 1:50", md.UIDValidity, md.SourceUIDs, md.DestUIDs)
	}
	if got := len(ev.expunges); got != 50 {
		t.Errorf("MOVE of 50 messages sent %d EXPUNGEs", got)
	}
	st, err := c.Status("INBOX.Archive", &imap.StatusOptions{NumMessages: true, UIDNext: true}).Wait()
	if err != nil || st.NumMessages == nil || *st.NumMessages != 50 || st.UIDNext != 51 {
		t.Errorf("STATUS INBOX.Archive after MOVE: %+v, %v", st, err)
	}
	left, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil || len(left.AllUIDs()) != n-50 || left.AllUIDs()[0] != 51 {
		t.Errorf("UID SEARCH ALL after MOVE: %v, %v", head(left.AllUIDs()), err)
	}

	// the second device learns of the move and the flags at its NOOP: as
	// Cyrus's index_tellchanges, the 50 EXPUNGEs first, then FETCH FLAGS
	// of the 250 changed messages left, by their new numbers
	drain(ev2.fetches)
	drain(ev2.expunges)
	if err := c2.Noop().Wait(); err != nil {
		t.Fatalf("second session's NOOP: %v", err)
	}
	// go-imap hands unasked FETCHes to the handler in goroutines: they
	// may land after NOOP's OK
	changed := map[uint32][]imap.Flag{}
	deadline := time.After(5 * time.Second)
	for len(changed) < 250 {
		select {
		case m := <-ev2.fetches:
			changed[m.SeqNum] = m.Flags
			continue
		case <-deadline:
		}
		break
	}
	for seq := uint32(1); seq <= 250; seq++ {
		f, ok := changed[seq]
		want := imap.FlagSeen
		if seq <= 50 {
			want = imap.FlagFlagged // old 51..100
		}
		if !ok || !slices.Contains(f, want) {
			t.Errorf("second session: message %d's flags %v (reported %v), want %s among them", seq, f, ok, want)
			break
		}
	}
	if len(changed) != 250 {
		t.Errorf("second session: %d FETCH FLAGS after NOOP, want 250", len(changed))
	}
	var exp2 []uint32
	for len(ev2.expunges) > 0 {
		exp2 = append(exp2, <-ev2.expunges)
	}
	// expunging 1:50 one by one from the lowest gives fifty "1 EXPUNGE"s
	// or, from the highest, 50, 49, ... 1: either way each is <= 50
	if len(exp2) != 50 || slices.ContainsFunc(exp2, func(x uint32) bool { return x > 50 }) {
		t.Errorf("second session saw EXPUNGEs %v, want 50 of them within 1..50", head(exp2))
	}
	if err := c2.Logout().Wait(); err != nil {
		t.Errorf("second session's LOGOUT: %v", err)
	}

	// IDLE in INBOX; lmtpd delivers; the EXISTS must arrive within a second
	drain(ev.exists)
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("IDLE: %v", err)
	}
	// Idle returns once the server's "+" came: the session is idling
	deliverTo(t, lmtpAddr, "alice", newMail("while idling"))
	delivered := time.Now()
	select {
	case got := <-ev.exists:
		wait := time.Since(delivered)
		t.Logf("EXISTS %d reached the idling client %v after lmtpd's 250", got, wait.Round(time.Millisecond))
		if got != uint32(n-50+1) {
			t.Errorf("EXISTS %d during IDLE, want %d", got, n-50+1)
		}
	case <-time.After(time.Second):
		t.Errorf("no EXISTS within 1 s of the LMTP delivery while idling")
	}
	if err := idle.Close(); err != nil {
		t.Fatalf("IDLE DONE: %v", err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatalf("IDLE: %v", err)
	}
	newest, err := c.Fetch(imap.UIDSetNum(imap.UID(n+1)), &imap.FetchOptions{UID: true, Envelope: true, Flags: true}).Collect()
	if err != nil || len(newest) != 1 || newest[0].Envelope == nil || newest[0].Envelope.Subject != "while idling" {
		t.Errorf("UID FETCH %d ENVELOPE after IDLE: %v", n+1, err)
	} else if !slices.Contains(newest[0].Flags, recent) {
		t.Errorf("new message's flags %v lack \\Recent", newest[0].Flags)
	}

	// the moved messages kept their flags
	if _, err := c.Select("INBOX.Archive", nil).Wait(); err != nil {
		t.Fatalf("SELECT INBOX.Archive: %v", err)
	}
	arch, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true}).Collect()
	if err != nil || len(arch) != 50 {
		t.Fatalf("FETCH in INBOX.Archive: %d, %v", len(arch), err)
	}
	for i, m := range arch {
		want := []imap.Flag{imap.FlagFlagged}
		if i >= 10 {
			want = append(want, "$Work")
		}
		got := slices.DeleteFunc(slices.Clone(m.Flags), func(f imap.Flag) bool { return f == recent })
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || m.RFC822Size != int64(len(exp[i].raw)) {
			t.Errorf("archived message %d: flags %v size %d, want %v %d", i+1, m.Flags, m.RFC822Size, want, len(exp[i].raw))
		}
	}
	if err := c.Logout().Wait(); err != nil {
		t.Errorf("LOGOUT: %v", err)
	}
}

const recent = imap.Flag(`\Recent`)

func drain[T any](ch chan T) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func head[T any](s []T) string {
	if len(s) > 8 {
		return fmt.Sprint(s[:8]) + "..."
	}
	return fmt.Sprint(s)
}
