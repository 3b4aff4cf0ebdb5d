package mailbox

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// soakSeconds is GYRUS_MAILBOX_SOAK (seconds), default 15.
func soakSeconds() float64 {
	if s := os.Getenv("GYRUS_MAILBOX_SOAK"); s != "" {
		if v, err := strconv.ParseFloat(s, 64); err == nil && v > 0 {
			return v
		}
	}
	if testing.Short() {
		return 3
	}
	return 15
}

// TestConcurrentProcesses: 4 processes append (open, append 1-3
// messages, commit, close, like lmtpd), 2 flag random messages, 1
// expunges \Deleted ones and runs cyr_expire-style cleanups (and tries
// to repack when it closes), while this process keeps a view and
// refreshes it. At the end every acknowledged message is there (or was
// acknowledged as expunged), UIDs are unique and increasing, and Check
// finds the counters and CRCs right.
func TestConcurrentProcesses(t *testing.T) {
	root := t.TempDir()
	loc := workerLoc(root)
	mb, err := Create(loc, CreateOptions{}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	secs := soakSeconds()
	var ws []*workerProc
	for i := 0; i < 4; i++ {
		ws = append(ws, startWorker(t, "append", root, i, secs))
	}
	for i := 0; i < 2; i++ {
		ws = append(ws, startWorker(t, "flag", root, 10+i, secs))
	}
	ws = append(ws, startWorker(t, "expunge", root, 20, secs))

	mb.Close()
	// a reader meanwhile: short sessions (a long one would hold the name
	// lock and keep every repack away), each view in UID order and
	// consistent with the header
	refreshes := 0
	deadline := time.Now().Add(time.Duration(secs*float64(time.Second)) + 5*time.Second)
	done := make(chan error, len(ws))
	for _, w := range ws {
		go func(w *workerProc) { done <- w.wait() }(w)
	}
	finished := 0
	for finished < len(ws) {
		select {
		case err := <-done:
			finished++
			if err != nil {
				for _, w := range ws {
					if w.err.Len() > 0 {
						t.Logf("worker stderr: %s", w.err)
					}
				}
				t.Fatalf("worker failed: %v", err)
			}
		case <-time.After(20 * time.Millisecond):
			rm, err := Open(loc, DefaultOptions(), ReadOnly)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			v, err := rm.NewView()
			if err != nil {
				t.Fatalf("view: %v", err)
			}
			for i := 0; i < 3; i++ {
				if _, err := v.Refresh(); err != nil {
					t.Fatalf("refresh: %v", err)
				}
				refreshes++
				for s := uint32(2); s <= v.Len(); s++ {
					if v.UID(s) <= v.UID(s-1) {
						t.Fatalf("view out of order at %d", s)
					}
				}
				if v.Len() > 0 {
					if _, err := v.Cache(v.Len()); err != nil {
						t.Fatalf("cache of the last message: %v", err)
					}
				}
				v.Purge()
			}
			v.Close()
			rm.Close()
		}
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatal("workers do not finish")
		}
	}
	var outs [][]byte
	for _, w := range ws {
		outs = append(outs, w.out.Bytes())
	}
	a := parseAcks(t, outs...)
	if len(a.appended) == 0 {
		t.Fatal("nothing appended")
	}
	verifyAcks(t, loc, a, true, true)
	m2, _ := Open(loc, DefaultOptions(), ReadOnly)
	h := m2.Header()
	m2.Close()
	t.Logf("%.0fs: %d appends acknowledged, %d expunges, %d records now (generation %d, highestmodseq %d), %d view refreshes",
		secs, len(a.appended), len(a.expunged), h.NumRecords, h.Generation, h.HighestModSeq, refreshes)
}
