package mailbox

import (
	"bytes"
	"math/rand"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// crashRounds is GYRUS_MAILBOX_CRASH_ROUNDS; the default, 120 (30 with
// -short), keeps the package's tests well under a minute (a round takes
// about a quarter of a second: a process start, up to 100 ms of work,
// the checks). Set it to 200 for the full run.
func crashRounds() int {
	if s := os.Getenv("GYRUS_MAILBOX_CRASH_ROUNDS"); s != "" {
		if v, err := strconv.Atoi(s); err == nil && v > 0 {
			return v
		}
	}
	if testing.Short() {
		return 30
	}
	return 120
}

// TestCrash kills worker processes with SIGKILL at random moments while
// they append (batches, some \Deleted), expunge (with cyr_expire-style
// cleanups) and repack. After every kill the mailbox must open, every
// message whose commit was acknowledged must be there with its GUID (or
// have been acknowledged as expunged), and writing must work again (the
// next round's worker). Check's findings after a kill are counted per
// kind of round: a kill between a transaction's in-place record writes
// and its header write leaves counters that only reconstruct mends
// (doc.go), which is what they report.
func TestCrash(t *testing.T) {
	root := t.TempDir()
	loc := workerLoc(root)
	mb, err := Create(loc, CreateOptions{}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	mb.Close()
	rounds := crashRounds()
	roles := []string{"crash", "crashexpunge", "crashrepack"}
	rnd := rand.New(rand.NewSource(time.Now().UnixNano()))
	var all [][]byte
	damaged := map[string]int{}
	var kills, completed int
	for i := 0; i < rounds; i++ {
		role := roles[i%len(roles)]
		w := startWorker(t, role, root, i, 3600)
		// once it has the mailbox open, let it work a random while (a
		// transaction takes a few milliseconds, most of it fsync)
		<-w.ready
		time.Sleep(time.Duration(rnd.Intn(100000)) * time.Microsecond)
		if err := w.cmd.Process.Signal(syscall.SIGKILL); err == nil {
			kills++
		}
		err := w.wait()
		if ws, ok := w.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			if err != nil && w.err.Len() > 0 {
				t.Fatalf("round %d (%s) failed before the kill: %v\n%s", i, role, err, w.err)
			}
			completed++
		}
		all = append(all, w.out.Bytes())
		a := parseAcks(t, all...)
		// the mailbox opens, acknowledged messages are there
		m, err := Open(loc, DefaultOptions(), ReadWrite)
		if err != nil {
			t.Fatalf("round %d (%s): open after kill: %v", i, role, err)
		}
		probs, err := m.Check(CheckOptions{})
		if err != nil {
			t.Fatalf("round %d (%s): check: %v", i, role, err)
		}
		if len(probs) > 0 {
			damaged[role]++
			if damaged[role] == 1 {
				t.Logf("round %d (%s): first damage of this kind: %v", i, role, probs)
			}
			// what reconstruct would do for the counters, so that the
			// next rounds start from a consistent mailbox
			tx, err := m.Begin()
			if err != nil {
				t.Fatalf("round %d: begin after kill: %v", i, err)
			}
			if err := tx.Recalc(0); err != nil {
				t.Fatalf("recalc: %v", err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatalf("recalc commit: %v", err)
			}
			if p2, _ := m.Check(CheckOptions{}); len(p2) > 0 {
				t.Fatalf("round %d: still damaged after Recalc: %v", i, p2)
			}
		}
		m.Close()
		verifyAcksQuiet(t, loc, a, i == rounds-1)
		if t.Failed() {
			t.Fatalf("round %d (%s)", i, role)
		}
	}
	a := parseAcks(t, all...)
	t.Logf("%d rounds, %d kills (%d workers were done before the kill), %d appends and %d expunges acknowledged and verified; rounds whose kill left counters for reconstruct: %v",
		rounds, kills, completed, len(a.appended), len(a.expunged), damaged)
	if len(a.appended) == 0 {
		t.Fatal("no append was ever acknowledged: the kills come too early")
	}
}

// verifyAcksQuiet is verifyAcks without the counter checks (done by the
// caller).
func verifyAcksQuiet(t *testing.T, loc Location, a acks, deep bool) {
	t.Helper()
	verifyAcks(&quietT{T: t}, loc, a, false, deep)
}

// quietT drops Log calls (Check problems are reported by the caller).
type quietT struct{ *testing.T }

func (q *quietT) Log(args ...any) {}

var _ = bytes.MinRead
