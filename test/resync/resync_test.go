// Package resync is the resynchronization torture test of RFC 7162
// (CONDSTORE/QRESYNC): three clients append, change flags and expunge in
// one mailbox while a fourth keeps disconnecting, abruptly or not, and
// resynchronizes with SELECT (QRESYNC ...) from what it saved. Whenever
// the writers pause, the fourth client's reconstructed view (the UIDs and
// the flags of each) must equal the server's state as a fresh session
// sees it.
//
// The same test runs against real Cyrus 3.6 (the oracle), which checks
// the test itself: a view that Cyrus's answers do not keep right would be
// a bug in the test, not in Gyrus.
//
// Knobs: GYRUS_RESYNC_ROUNDS (default 12) rounds of writing and checking.
package resync

import (
	"bufio"
	"fmt"
	"math/rand"
	"net"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gyrus/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	user     = "resync"
	password = "resyncpw"
)

func rounds() int {
	if n, err := strconv.Atoi(os.Getenv("GYRUS_RESYNC_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 12
}

func TestQRESYNCTorture(t *testing.T) {
	// autocreate_quota 0: the INBOX appears at the first login, unlimited.
	o := harness.Options{IMAPDConf: map[string]string{"autocreate_quota": "0"}}
	harness.Both(t, o, func(t *testing.T, target harness.Target) {
		target.AddUser(t, user, password)
		n := rounds()
		if target.Name() == "cyrus" && os.Getenv("GYRUS_RESYNC_ROUNDS") == "" {
			// Cyrus leaves Nagle on: each round costs it seconds of
			// delayed ACKs. A few rounds check the test itself.
			n = 3
		}
		torture(t, target.Addr("imap"), n)
	})
}

// ---- a minimal IMAP client usable from any goroutine --------------------

type client struct {
	c   net.Conn
	r   *bufio.Reader
	tag int
}

func dial(addr string) (*client, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	cl := &client{c: c, r: bufio.NewReader(c)}
	if _, err := cl.line(); err != nil { // greeting
		c.Close()
		return nil, err
	}
	return cl, nil
}

func login(addr string) (*client, error) {
	cl, err := dial(addr)
	if err != nil {
		return nil, err
	}
	if _, err := cl.ok("LOGIN %s %s", user, password); err != nil {
		cl.c.Close()
		return nil, err
	}
	return cl, nil
}

func (cl *client) line() (string, error) {
	cl.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	l, err := cl.r.ReadString('\n')
	return strings.TrimRight(l, "\r\n"), err
}

// run sends one command (a literal, if any, goes with LITERAL+) and
// returns the untagged lines and the tagged status.
func (cl *client) run(format string, args ...any) (untagged []string, status string, err error) {
	cl.tag++
	tag := "t" + strconv.Itoa(cl.tag)
	cl.c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(cl.c, "%s "+format+"\r\n", append([]any{tag}, args...)...); err != nil {
		return nil, "", err
	}
	for {
		l, err := cl.line()
		if err != nil {
			return untagged, "", err
		}
		if rest, ok := strings.CutPrefix(l, tag+" "); ok {
			return untagged, rest, nil
		}
		untagged = append(untagged, l)
	}
}

func (cl *client) ok(format string, args ...any) ([]string, error) {
	u, st, err := cl.run(format, args...)
	if err == nil && !strings.HasPrefix(st, "OK") {
		err = fmt.Errorf("%s: %s", fmt.Sprintf(format, args...), st)
	}
	return u, err
}

// ---- the mailbox as a client sees it -------------------------------------

var (
	reUID       = regexp.MustCompile(`\bUID (\d+)`)
	reFlags     = regexp.MustCompile(`\bFLAGS \(([^)]*)\)`)
	reVanished  = regexp.MustCompile(`^\* VANISHED (?:\(EARLIER\) )?([0-9:,]+)$`)
	reHighest   = regexp.MustCompile(`\[HIGHESTMODSEQ (\d+)\]`)
	reValidity  = regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`)
	reAppendUID = regexp.MustCompile(`\[APPENDUID \d+ (\d+)\]`)
	reUIDNext   = regexp.MustCompile(`\[UIDNEXT (\d+)\]`)
)

// view is a client's knowledge of the mailbox: UID -> flags (sorted,
// \Recent left out, since it belongs to one session) of every message
// up to UID upTo. A QRESYNC SELECT reports changes among the UIDs the
// client names, not messages it never knew: those it fetches by UID
// range above upTo, as RFC 7162 §3.2.5.2's client does.
type view struct {
	validity uint64
	modseq   uint64
	upTo     uint32
	flags    map[uint32]string
}

func normFlags(s string) string {
	var out []string
	for _, f := range strings.Fields(s) {
		if !strings.EqualFold(f, `\Recent`) {
			out = append(out, strings.ToLower(f))
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// apply takes in the untagged lines of a session: FETCH with UID and FLAGS
// sets a message, VANISHED removes UIDs. It reports lines it cannot read.
func (v *view) apply(lines []string) error {
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "* VANISHED"):
			m := reVanished.FindStringSubmatch(l)
			if m == nil {
				return fmt.Errorf("unreadable %q", l)
			}
			for _, uid := range expand(m[1]) {
				delete(v.flags, uid)
			}
		case strings.Contains(l, " FETCH ("):
			u, f := reUID.FindStringSubmatch(l), reFlags.FindStringSubmatch(l)
			if u == nil {
				return fmt.Errorf("FETCH without UID under QRESYNC: %q", l)
			}
			if f == nil {
				continue // a MODSEQ-only or other item: no flag change
			}
			uid, _ := strconv.ParseUint(u[1], 10, 32)
			if uint32(uid) > v.upTo {
				continue // beyond the complete part: fetched at the next resync
			}
			v.flags[uint32(uid)] = normFlags(f[1])
		case regexp.MustCompile(`^\* \d+ EXPUNGE$`).MatchString(l):
			return fmt.Errorf("EXPUNGE sent to a QRESYNC client: %q", l)
		}
	}
	return nil
}

func expand(set string) []uint32 {
	var out []uint32
	for _, part := range strings.Split(set, ",") {
		a, b, isRange := strings.Cut(part, ":")
		lo, _ := strconv.ParseUint(a, 10, 32)
		hi := lo
		if isRange {
			hi, _ = strconv.ParseUint(b, 10, 32)
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		for u := lo; u <= hi; u++ {
			out = append(out, uint32(u))
		}
	}
	return out
}

// uidSet writes v's UIDs as a compact sequence set.
func (v *view) uidSet() string {
	uids := make([]uint32, 0, len(v.flags))
	for u := range v.flags {
		uids = append(uids, u)
	}
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	var b strings.Builder
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if i == j {
			fmt.Fprint(&b, uids[i])
		} else {
			fmt.Fprintf(&b, "%d:%d", uids[i], uids[j])
		}
		i = j + 1
	}
	return b.String()
}

// resync connects and selects with QRESYNC from what v knows (a full
// fetch the first time), updating v. It returns the open session.
func (v *view) resync(addr string) (*client, error) {
	cl, err := login(addr)
	if err != nil {
		return nil, err
	}
	if _, err := cl.ok("ENABLE QRESYNC"); err != nil {
		return cl, err
	}
	var u []string
	var st string
	if v.validity == 0 {
		u, st, err = cl.run("SELECT INBOX (CONDSTORE)")
	} else if len(v.flags) > 0 {
		u, st, err = cl.run("SELECT INBOX (QRESYNC (%d %d %s))", v.validity, v.modseq, v.uidSet())
	} else {
		u, st, err = cl.run("SELECT INBOX (QRESYNC (%d %d))", v.validity, v.modseq)
	}
	if err == nil && !strings.HasPrefix(st, "OK") {
		err = fmt.Errorf("SELECT: %s", st)
	}
	if err != nil {
		return cl, err
	}
	validity, highest, next := uint64(0), uint64(0), uint64(0)
	for _, l := range append(u, st) {
		if m := reUIDNext.FindStringSubmatch(l); m != nil {
			next, _ = strconv.ParseUint(m[1], 10, 32)
		}
		if m := reValidity.FindStringSubmatch(l); m != nil {
			validity, _ = strconv.ParseUint(m[1], 10, 64)
		}
		if m := reHighest.FindStringSubmatch(l); m != nil {
			highest, _ = strconv.ParseUint(m[1], 10, 64)
		}
	}
	if validity == 0 || highest == 0 || next == 0 {
		return cl, fmt.Errorf("SELECT gave no UIDVALIDITY, UIDNEXT or HIGHESTMODSEQ: %q", u)
	}
	if v.validity != 0 && validity != v.validity {
		return cl, fmt.Errorf("UIDVALIDITY changed %d -> %d", v.validity, validity)
	}
	v.validity = validity
	if err := v.apply(u); err != nil {
		return cl, err
	}
	// Messages that arrived after what the view covers, up to the UIDNEXT
	// of this SELECT (later ones come at the next resync).
	if newTop := uint32(next - 1); newTop > v.upTo {
		from := v.upTo + 1
		v.upTo = newTop
		u, err = cl.ok("UID FETCH %d:%d (FLAGS)", from, newTop)
		if err != nil {
			return cl, err
		}
		if err := v.apply(u); err != nil {
			return cl, err
		}
	}
	// The mod-sequence to resume from is the one of this SELECT: changes
	// reported later in the session may be replayed next time, which is
	// harmless, while nothing older can be missed.
	v.modseq = highest
	return cl, nil
}

// truth is the mailbox as a fresh session sees it.
func truth(addr string) (map[uint32]string, error) {
	cl, err := login(addr)
	if err != nil {
		return nil, err
	}
	defer cl.c.Close()
	if _, err := cl.ok("EXAMINE INBOX"); err != nil {
		return nil, err
	}
	u, err := cl.ok("UID FETCH 1:* (FLAGS)")
	if err != nil {
		return nil, err
	}
	v := view{flags: map[uint32]string{}, upTo: ^uint32(0)}
	if err := v.apply(u); err != nil {
		return nil, err
	}
	cl.run("LOGOUT")
	return v.flags, nil
}

func diff(got, want map[uint32]string) string {
	var out []string
	for u, f := range want {
		if g, ok := got[u]; !ok {
			out = append(out, fmt.Sprintf("UID %d (%s) missing from the view", u, f))
		} else if g != f {
			out = append(out, fmt.Sprintf("UID %d: view (%s), server (%s)", u, g, f))
		}
	}
	for u, g := range got {
		if _, ok := want[u]; !ok {
			out = append(out, fmt.Sprintf("UID %d (%s) in the view, not on the server", u, g))
		}
	}
	sort.Strings(out)
	if len(out) > 10 {
		out = append(out[:10], fmt.Sprintf("... %d more", len(out)-10))
	}
	return strings.Join(out, "\n")
}

// ---- the writers -----------------------------------------------------------

var flagPool = []string{`\Seen`, `\Flagged`, `\Answered`, `\Draft`, `$Label1`, `$Forwarded`, `Junk`}

func message(n int) string {
	return fmt.Sprintf("From: w@example.com\r\nTo: %s@example.com\r\nSubject: resync %d\r\n"+
		"Message-ID: <resync.%d@example.com>\r\n\r\nbody %d\r\n", user, n, n, n)
}

// writer runs random changes until stop is closed; maxUID is the highest
// UID appended so far, shared by the writers.
func writer(addr string, seed int64, maxUID *atomic.Uint32, counter *atomic.Int64, stop <-chan struct{}, pause *sync.RWMutex) error {
	cl, err := login(addr)
	if err != nil {
		return err
	}
	defer cl.c.Close()
	if _, err := cl.ok("SELECT INBOX"); err != nil {
		return err
	}
	rnd := rand.New(rand.NewSource(seed))
	for {
		select {
		case <-stop:
			cl.run("LOGOUT")
			return nil
		default:
		}
		pause.RLock()
		err := step(cl, rnd, maxUID, counter)
		pause.RUnlock()
		if err != nil {
			return err
		}
	}
}

func step(cl *client, rnd *rand.Rand, maxUID *atomic.Uint32, counter *atomic.Int64) error {
	top := maxUID.Load()
	pick := func() uint32 { return 1 + uint32(rnd.Intn(int(top)+1)) }
	switch op := rnd.Intn(10); {
	case op < 3 || top == 0:
		msg := message(int(counter.Add(1)))
		_, st, err := cl.run("APPEND INBOX (%s) {%d+}\r\n%s", flagPool[rnd.Intn(len(flagPool))], len(msg), msg)
		if err != nil {
			return err
		}
		if m := reAppendUID.FindStringSubmatch(st); m != nil {
			uid, _ := strconv.ParseUint(m[1], 10, 32)
			for {
				old := maxUID.Load()
				if uint32(uid) <= old || maxUID.CompareAndSwap(old, uint32(uid)) {
					break
				}
			}
		} else if !strings.HasPrefix(st, "OK") {
			return fmt.Errorf("APPEND: %s", st)
		}
	case op < 8:
		sign := "+"
		if rnd.Intn(2) == 0 {
			sign = "-"
		}
		lo := pick()
		if _, err := cl.ok("UID STORE %d:%d %sFLAGS (%s)", lo, lo+uint32(rnd.Intn(3)), sign, flagPool[rnd.Intn(len(flagPool))]); err != nil {
			return err
		}
	default:
		uid := pick()
		if _, err := cl.ok("UID STORE %d +FLAGS.SILENT (\\Deleted)", uid); err != nil {
			return err
		}
		if _, err := cl.ok("UID EXPUNGE %d", uid); err != nil {
			return err
		}
	}
	return nil
}

// ---- the test ----------------------------------------------------------------

func torture(t *testing.T, addr string, rounds int) {
	// A mailbox with some history before the clients start.
	setup, err := login(addr)
	if err != nil {
		t.Fatal(err)
	}
	var maxUID atomic.Uint32
	var counter atomic.Int64
	for i := 0; i < 20; i++ {
		msg := message(int(counter.Add(1)))
		if _, err := setup.ok("APPEND INBOX (%s) {%d+}\r\n%s", flagPool[i%len(flagPool)], len(msg), msg); err != nil {
			t.Fatal(err)
		}
	}
	maxUID.Store(20)
	setup.run("LOGOUT")
	setup.c.Close()

	var pause sync.RWMutex
	stop := make(chan struct{})
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			if err := writer(addr, int64(w+1), &maxUID, &counter, stop, &pause); err != nil {
				errs <- fmt.Errorf("writer %d: %w", w, err)
			}
		}(w)
	}
	defer func() {
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}()

	rnd := rand.New(rand.NewSource(42))
	v := &view{flags: map[uint32]string{}}
	checks := 0
	for round := 0; round < rounds; round++ {
		// While the writers write: resynchronize, stay a moment taking
		// in unsolicited updates, and leave (often without LOGOUT).
		for i := 0; i < 3; i++ {
			cl, err := v.resync(addr)
			if err != nil {
				t.Fatalf("round %d: resync during writes: %v", round, err)
			}
			for n := rnd.Intn(4); n > 0; n-- {
				time.Sleep(time.Duration(20+rnd.Intn(60)) * time.Millisecond)
				u, err := cl.ok("NOOP")
				if err != nil {
					t.Fatalf("round %d: NOOP: %v", round, err)
				}
				if err := v.apply(u); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if rnd.Intn(3) == 0 {
				cl.run("LOGOUT")
			}
			cl.c.Close()
		}
		select {
		case err := <-errs:
			t.Fatal(err)
		default:
		}
		// Writers paused: the view after one more resync is the truth.
		pause.Lock()
		cl, err := v.resync(addr)
		if err != nil {
			pause.Unlock()
			t.Fatalf("round %d: resync: %v", round, err)
		}
		cl.c.Close()
		want, err := truth(addr)
		pause.Unlock()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if d := diff(v.flags, want); d != "" {
			t.Fatalf("round %d: the resynchronized view differs from the server (%d messages):\n%s", round, len(want), d)
		}
		checks++
	}
	t.Logf("%d rounds checked; %d messages appended in all, %d in the mailbox at the end", checks, counter.Load(), len(v.flags))
}
