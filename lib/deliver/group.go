package deliver

import "sync"

// group runs the work the goroutines of a process hand it in batches,
// with no goroutine of its own (leader and followers): a caller that
// finds a free slot runs the batch of everything waiting itself; the
// others wait, and whoever finishes a batch hands the next one (what
// queued meanwhile) to the first of its waiters, who runs it. Each
// caller is woken once, to be told it is done or to lead; no hand-off
// to a committer goroutine and back. On this 2-core machine every
// goroutine hand-off is a futex wake-up and a context switch, which the
// virtual machine makes dear (bench/lmtp/RESULTS.md).
type group[T any] struct {
	run    func([]T) // runs one batch; called by one caller at a time per slot
	slots  int       // batches run at once
	weight func(T) int
	max    int // a batch takes waiters up to this weight (at least one)

	mu     sync.Mutex
	idle   sync.Cond // signalled when active drops to 0
	queue  []*waiter[T]
	active int
	closed bool
}

type waiter[T any] struct {
	v    T
	wake chan []*waiter[T] // nil: done; else a batch to lead
}

func newGroup[T any](slots, max int, weight func(T) int, run func([]T)) *group[T] {
	g := &group[T]{run: run, slots: slots, weight: weight, max: max}
	g.idle.L = &g.mu
	return g
}

// do has v run in a batch and returns when that batch has run; false
// (v not run) once the group is closed.
func (g *group[T]) do(v T) bool {
	w := &waiter[T]{v: v, wake: make(chan []*waiter[T], 1)}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return false
	}
	g.queue = append(g.queue, w)
	if g.active < g.slots {
		g.active++
		b := g.takeLocked()
		g.mu.Unlock()
		g.lead(b)
	} else {
		g.mu.Unlock()
	}
	for {
		b := <-w.wake
		if b == nil {
			return true
		}
		g.lead(b)
	}
}

// takeLocked takes the waiters of the next batch off the queue.
func (g *group[T]) takeLocked() []*waiter[T] {
	n, w := 0, 0
	for n < len(g.queue) && (n == 0 || w < g.max) {
		w += g.weight(g.queue[n].v)
		n++
	}
	b := g.queue[:n:n]
	g.queue = append([]*waiter[T](nil), g.queue[n:]...)
	return b
}

// lead runs batch b, tells its waiters, and hands the slot to the next
// batch, if any.
func (g *group[T]) lead(b []*waiter[T]) {
	vs := make([]T, len(b))
	for i, w := range b {
		vs[i] = w.v
	}
	g.run(vs)
	for _, w := range b {
		w.wake <- nil
	}
	g.mu.Lock()
	if len(g.queue) > 0 {
		nb := g.takeLocked()
		g.mu.Unlock()
		nb[0].wake <- nb
		return
	}
	g.active--
	if g.active == 0 {
		g.idle.Broadcast()
	}
	g.mu.Unlock()
}

// close refuses new work and waits for what is queued and running.
func (g *group[T]) close() {
	g.mu.Lock()
	g.closed = true
	for g.active > 0 {
		g.idle.Wait()
	}
	g.mu.Unlock()
}
