package deliver

import (
	"sync"
	"sync/atomic"
	"testing"
)

// Every value handed to a group is run exactly once, in batches of at
// most max weight (but at least one value), with at most slots batches
// at once, and do returns only after its value's batch ran; close waits
// for everything queued.
func TestGroup(t *testing.T) {
	const callers, slots, max = 64, 2, 5
	var running, peak, batches atomic.Int32
	var mu sync.Mutex
	ran := map[int]int{}
	g := newGroup(slots, max, func(int) int { return 1 }, func(vs []int) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if len(vs) == 0 || len(vs) > max {
			t.Errorf("batch of %d", len(vs))
		}
		mu.Lock()
		for _, v := range vs {
			ran[v]++
		}
		mu.Unlock()
		batches.Add(1)
		running.Add(-1)
	})
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if !g.do(i) {
				t.Errorf("do(%d) refused before close", i)
			}
			mu.Lock()
			n := ran[i]
			mu.Unlock()
			if n != 1 {
				t.Errorf("do(%d) returned with its value run %d times", i, n)
			}
		}(i)
	}
	wg.Wait()
	g.close()
	if len(ran) != callers {
		t.Errorf("%d values run, want %d", len(ran), callers)
	}
	if p := peak.Load(); p > slots {
		t.Errorf("%d batches at once, want at most %d", p, slots)
	}
	if g.do(-1) {
		t.Errorf("do after close ran")
	}
	t.Logf("%d batches for %d callers", batches.Load(), callers)
}
