package deliver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"gyrus/lib/quota"
)

func TestVerify(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.CatchAll = "" }, true)
	e.create("user.alice", "user.alice.Work", "shared", "noacl", "hidden")
	e.setACL("shared", "anyone\tlrsp\t")
	e.setACL("hidden", "")
	for _, tc := range []struct {
		addr string
		auth string
		want error
		mbox string
	}{
		{"alice", "", nil, "user.alice"},
		{"ALICE@example.com", "", nil, "user.alice"},
		{"alice+Work", "", nil, "user.alice.Work"},
		{"alice+nosuch", "", nil, "user.alice.nosuch"},
		{"+shared", "", nil, "shared"},
		{"+noacl", "", ErrPermissionDenied, ""},
		{"+hidden", "", ErrMailboxNonexistent, ""},
		{"nobody", "", ErrMailboxNonexistent, ""},
		{"", "", ErrMailboxNonexistent, ""},
	} {
		r, err := e.d.Verify(tc.addr, false, 0, Auth{UserID: tc.auth})
		if !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
			t.Errorf("%q: error %v, want %v", tc.addr, err, tc.want)
			continue
		}
		if err == nil && e.d.ns.Internal(r.Name) != tc.mbox {
			t.Errorf("%q: mailbox %q, want %q", tc.addr, e.d.ns.Internal(r.Name), tc.mbox)
		}
	}
}

func TestCatchAllAndDowncase(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.CatchAll = "postmaster"; o.DowncaseRcpt = false }, true)
	e.create("user.postmaster", "user.alice")
	r, err := e.d.Verify("ALICE", false, 0, Auth{})
	if err != nil || r.Name.UserID() != "postmaster" {
		t.Fatalf("ALICE without downcasing should go to the catch-all: %v %+v", err, r)
	}
}

func TestDeliverLocalPlan(t *testing.T) {
	e := newEnv(t, nil, true)
	e.create("user.alice", "user.alice.Work", "user.alice.Private", "shared")
	e.setACL("user.alice.Work", "alice\tlrswipkxtecda\tanyone\tp\t")
	e.setACL("shared", "anyone\tlrsp\t")
	m := e.message(testMsg("m1"), "<m1@x>", "d1")
	errs := e.deliver(m, "alice+Work", "alice+Private", "alice+Nosuch", "+shared")
	for i, err := range errs {
		if err != nil {
			t.Errorf("recipient %d: %v", i, err)
		}
	}
	// Private has no 'p' and Nosuch does not exist: both fall back to the
	// INBOX, and the second copy there is a duplicate.
	if n := e.count("user.alice.Work"); n != 1 {
		t.Errorf("Work has %d messages", n)
	}
	if n := e.count("user.alice"); n != 1 {
		t.Errorf("INBOX has %d messages, want 1 (one fallback, one duplicate)", n)
	}
	if n := e.count("user.alice.Private"); n != 0 {
		t.Errorf("Private has %d", n)
	}
	if n := e.count("shared"); n != 1 {
		t.Errorf("shared has %d", n)
	}
	// the same message again: suppressed everywhere
	m2 := e.message(testMsg("m1"), "<m1@x>", "d1")
	for _, err := range e.deliver(m2, "alice", "alice+Work") {
		if err != nil {
			t.Error(err)
		}
	}
	if e.count("user.alice") != 1 || e.count("user.alice.Work") != 1 {
		t.Error("duplicate delivered")
	}
}

func TestQuotaNonStrict(t *testing.T) {
	e := newEnv(t, nil, true)
	e.create("user.q")
	if err := e.list.SetQuota(e.q, "user.q", map[quota.Resource]int64{quota.Storage: 1}, false); err != nil {
		t.Fatal(err)
	}
	big := testMsg("big") + string(make([]byte, 700)) + "\r\n"
	// under the limit: accepted even though it goes over
	for i := 0; i < 2; i++ {
		m := e.message(big, fmt.Sprintf("<b%d@x>", i), "d")
		errs := e.deliver(m, "q")
		if i == 0 && errs[0] != nil || i == 1 && errs[0] != nil {
			t.Fatalf("delivery %d: %v", i, errs[0])
		}
	}
	// now over: RCPT refuses, IGNOREQUOTA does not
	if _, err := e.d.Verify("q", false, 0, Auth{}); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("verify over quota: %v", err)
	}
	r, err := e.d.Verify("q", true, 0, Auth{})
	if err != nil {
		t.Fatal(err)
	}
	m := e.message(testMsg("ig"), "<ig@x>", "d")
	if errs := e.d.Deliver(context.Background(), m, []*Recipient{r}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if n := e.count("user.q"); n != 3 {
		t.Fatalf("%d messages", n)
	}
}

// TestGroupCommitConcurrent: many sessions delivering at once, several
// to the same mailbox in the same batch, duplicates among them: every
// message is there once and the mailboxes are consistent.
func TestGroupCommitConcurrent(t *testing.T) {
	e := newEnv(t, nil, true)
	users := []string{"u0", "u1", "u2", "u3"}
	for _, u := range users {
		e.create("user." + u)
	}
	const n = 200
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			k := i % 150 // 50 duplicates, to the same two users
			id := fmt.Sprintf("g%d", k)
			m := e.message(testMsg(id), "<"+id+"@x>", "d")
			for _, err := range e.deliver(m, users[k%4], users[(k+1)%4]) {
				if err != nil {
					errc <- err
				}
			}
		}(i)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	total := 0
	for _, u := range users {
		total += e.count("user." + u)
	}
	// 150 distinct messages, each to two users
	if total != 300 {
		t.Fatalf("%d messages stored, want 300", total)
	}
}

// BenchmarkDeliver is one session delivering one message at a time to
// one mailbox, fsyncs on (the latency of a delivery).
func BenchmarkDeliver(b *testing.B) {
	e := newEnv(b, nil, false)
	e.create("user.b")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := e.message(testMsg(fmt.Sprint(i)), fmt.Sprintf("<%d@x>", i), "d")
		if errs := e.deliver(m, "b"); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
}

// BenchmarkDeliverParallel is 8 sessions at once to 8 mailboxes (the
// group commit's case).
func BenchmarkDeliverParallel(b *testing.B) {
	e := newEnv(b, func(o *Options) {
		if v, err := strconv.Atoi(os.Getenv("GYRUS_DELIVER_PIPELINE")); err == nil {
			o.Pipeline = v
		}
	}, false)
	for u := 0; u < 8; u++ {
		e.create(fmt.Sprintf("user.p%d", u))
	}
	var next sync.Mutex
	i := 0
	b.SetParallelism(4) // 2 CPUs x 4 = 8 goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			next.Lock()
			k := i
			i++
			next.Unlock()
			m := e.message(testMsg(fmt.Sprint(k)), fmt.Sprintf("<%d@x>", k), "d")
			if errs := e.deliver(m, fmt.Sprintf("p%d", k%8)); errs[0] != nil {
				b.Fatal(errs[0])
			}
		}
	})
}
