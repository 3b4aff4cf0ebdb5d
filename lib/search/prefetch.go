package search

// Reading message files ahead of the evaluation, several at a time. A
// program that needs every message's file (BODY, TEXT, a header Cyrus
// does not cache, with nothing cheaper before it) spends its time in
// open/read/close, waiting for the disk when the files are not in the
// page cache: a few goroutines read the next files while the current
// one is searched, so that the disk sees several requests at once and
// the system calls run beside the search. The records are still read in
// order by the searching goroutine, which hands each worker a path and a
// size; the workers touch nothing of the Source.

import (
	"sync"

	"golang.org/x/sys/unix"
)

const (
	prefetchDepth   = 32 // messages read ahead at most
	prefetchWorkers = 4
)

// fetch is one message file read by a worker.
type fetch struct {
	seq    uint32
	path   string
	size   uint32
	data   []byte
	big    bool // larger than wholeFileMax: read part by part instead
	failed bool // could not be opened or read
	done   chan struct{}
}

type prefetcher struct {
	jobs chan *fetch
	ring [prefetchDepth]*fetch
	free chan []byte
	wg   sync.WaitGroup
}

func newPrefetcher() *prefetcher {
	p := &prefetcher{jobs: make(chan *fetch, prefetchDepth), free: make(chan []byte, prefetchDepth+prefetchWorkers)}
	for w := 0; w < prefetchWorkers; w++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for f := range p.jobs {
				p.read(f)
				close(f.done)
			}
		}()
	}
	return p
}

// add asks for the file of seq (path, size from its record). The slot
// of seq must be free (taken by take or never used).
func (p *prefetcher) add(seq uint32, path string, size uint32) {
	f := &fetch{seq: seq, path: path, size: size, done: make(chan struct{})}
	p.ring[seq%prefetchDepth] = f
	p.jobs <- f
}

// take returns the read of seq, nil if none was asked for; the caller
// gives its buffer back with release.
func (p *prefetcher) take(seq uint32) *fetch {
	f := p.ring[seq%prefetchDepth]
	if f == nil || f.seq != seq {
		return nil
	}
	p.ring[seq%prefetchDepth] = nil
	<-f.done
	return f
}

func (p *prefetcher) release(f *fetch) {
	if f != nil && f.data != nil {
		select {
		case p.free <- f.data[:0]:
		default:
		}
		f.data = nil
	}
}

// stop waits for the workers, after the reads asked for.
func (p *prefetcher) stop() {
	close(p.jobs)
	p.wg.Wait()
}

func (p *prefetcher) read(f *fetch) {
	if f.size >= wholeFileMax {
		f.big = true
		return
	}
	var fd int
	var err error
	for {
		fd, err = unix.Open(f.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.failed = true
		return
	}
	defer unix.Close(fd)
	var buf []byte
	select {
	case buf = <-p.free:
	default:
	}
	n, longer, err := readWhole(fd, buf, f.size)
	if err != nil {
		f.failed = true
		return
	}
	if longer {
		f.big = true // longer than its record says: read part by part
		return
	}
	f.data = n
}

// readWhole reads a file that its record says is size bytes into buf
// (grown as needed): all of it, or longer if it has more than size
// bytes. A read that stops exactly at size is taken for the end of the
// file, which saves the read that would return 0.
func readWhole(fd int, buf []byte, size uint32) (data []byte, longer bool, err error) {
	want := int(size) + 1
	if cap(buf) < want {
		buf = make([]byte, max(want, 8<<10))
	}
	buf = buf[:want]
	n := 0
	for n < want {
		k, err := unix.Pread(fd, buf[n:], int64(n))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if k == 0 {
			break
		}
		n += k
		if n == int(size) {
			break
		}
	}
	if n == want {
		return nil, true, nil
	}
	return buf[:n], false, nil
}
