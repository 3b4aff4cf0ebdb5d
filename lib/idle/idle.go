package idle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// PollInterval is how often a subscription without inotify looks at its
// index file.
var PollInterval = time.Second

const watchMask = unix.IN_MODIFY | unix.IN_MOVED_TO | unix.IN_CREATE |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR

// Watcher is one inotify descriptor shared by every subscription of the
// process.
type Watcher struct {
	mu     sync.Mutex
	f      *os.File // inotify descriptor (nil: polling only)
	byDir  map[string]*watch
	byWD   map[int32]*watch
	polls  map[*Subscription]struct{}
	closed bool
	done   chan struct{}
	// Events counts inotify events read (for tests and diagnostics).
	events uint64
}

type watch struct {
	wd   int32
	dir  string
	name string
	subs map[*Subscription]struct{}
}

// Subscription receives a value on C after its mailbox's cyrus.index
// changed. C is closed when the subscription or its Watcher is closed.
type Subscription struct {
	C    <-chan struct{}
	c    chan struct{}
	w    *Watcher
	wt   *watch
	path string
	stop chan struct{} // polling fallback
	once sync.Once
	// closed is set under the Watcher's mutex once c is closed
	closed bool
}

// New starts a Watcher. Without inotify it still works, by polling.
func New() (*Watcher, error) {
	w := &Watcher{byDir: map[string]*watch{}, byWD: map[int32]*watch{}, polls: map[*Subscription]struct{}{}, done: make(chan struct{})}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		close(w.done)
		return w, nil // polling only
	}
	w.f = os.NewFile(uintptr(fd), "inotify")
	go w.read()
	return w, nil
}

var (
	defaultOnce sync.Once
	defaultW    *Watcher
)

// Default is the process-wide Watcher, started on first use.
func Default() *Watcher {
	defaultOnce.Do(func() { defaultW, _ = New() })
	return defaultW
}

// Subscribe watches the mailbox whose index file is indexPath (see
// mailbox.Location.IndexPath).
func (w *Watcher) Subscribe(indexPath string) (*Subscription, error) {
	indexPath = filepath.Clean(indexPath)
	c := make(chan struct{}, 1)
	s := &Subscription{C: c, c: c, w: w, path: indexPath}
	dir, name := filepath.Dir(indexPath), filepath.Base(indexPath)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, errors.New("idle: watcher closed")
	}
	if w.f != nil {
		wt := w.byDir[dir]
		if wt == nil {
			wd, err := unix.InotifyAddWatch(int(w.f.Fd()), dir, watchMask)
			if err == nil {
				wt = &watch{wd: int32(wd), dir: dir, name: name, subs: map[*Subscription]struct{}{}}
				if old := w.byWD[int32(wd)]; old != nil {
					// the same directory under another path: share it
					wt = old
				} else {
					w.byWD[int32(wd)] = wt
				}
				w.byDir[dir] = wt
			} else if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
				return nil, fmt.Errorf("idle: watch %s: %w", dir, err)
			}
			// ENOSPC (watch limit) and others: poll instead
		}
		if wt != nil {
			wt.subs[s] = struct{}{}
			s.wt = wt
			return s, nil
		}
	}
	s.stop = make(chan struct{})
	w.polls[s] = struct{}{}
	go s.poll()
	return s, nil
}

// Close ends the subscription and closes C.
func (s *Subscription) Close() {
	s.once.Do(func() {
		w := s.w
		w.mu.Lock()
		defer w.mu.Unlock()
		if _, ok := w.polls[s]; ok {
			close(s.stop)
			delete(w.polls, s)
		}
		if wt := s.wt; wt != nil {
			delete(wt.subs, s)
			if len(wt.subs) == 0 {
				w.dropWatch(wt, true)
			}
		}
		if !s.closed {
			s.closed = true
			close(s.c)
		}
	})
}

// dropWatch forgets a watch; rm also removes it from the kernel.
func (w *Watcher) dropWatch(wt *watch, rm bool) {
	if w.byWD[wt.wd] == wt {
		delete(w.byWD, wt.wd)
		if rm && w.f != nil {
			unix.InotifyRmWatch(int(w.f.Fd()), uint32(wt.wd))
		}
	}
	for d, x := range w.byDir {
		if x == wt {
			delete(w.byDir, d)
		}
	}
}

// Close stops the Watcher and closes every subscription's channel.
func (w *Watcher) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	for _, wt := range w.byWD {
		for s := range wt.subs {
			s.closed = true
			close(s.c)
		}
	}
	for s := range w.polls {
		close(s.stop)
		s.closed = true
		close(s.c)
	}
	w.byWD, w.byDir, w.polls = map[int32]*watch{}, map[string]*watch{}, map[*Subscription]struct{}{}
	f := w.f
	w.mu.Unlock()
	if f != nil {
		f.Close()
		<-w.done
	}
	return nil
}

// notify is called with the Watcher's mutex held.
func (s *Subscription) notify() {
	if s.closed {
		return
	}
	select {
	case s.c <- struct{}{}:
	default: // one pending wake-up is enough
	}
}

// read is the reader goroutine.
func (w *Watcher) read() {
	defer close(w.done)
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return // closed
		}
		w.dispatch(buf[:n])
	}
}

func (w *Watcher) dispatch(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	for off := 0; off+unix.SizeofInotifyEvent <= len(b); {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[off]))
		nameb := b[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
		off += unix.SizeofInotifyEvent + int(ev.Len)
		w.events++
		if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
			// events were lost: wake everybody
			for _, wt := range w.byWD {
				for s := range wt.subs {
					s.notify()
				}
			}
			continue
		}
		wt := w.byWD[ev.Wd]
		if wt == nil {
			continue
		}
		if ev.Mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED) != 0 {
			// the mailbox directory is gone (deleted or moved away)
			for s := range wt.subs {
				s.notify()
			}
			if ev.Mask&unix.IN_IGNORED != 0 {
				w.dropWatch(wt, false)
			}
			continue
		}
		name := cstring(nameb)
		if name != wt.name {
			continue
		}
		for s := range wt.subs {
			s.notify()
		}
	}
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// poll is the fallback when inotify cannot watch the directory.
func (s *Subscription) poll() {
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	last := stamp(s.path)
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if cur := stamp(s.path); cur != last {
				last = cur
				s.w.mu.Lock()
				s.notify()
				s.w.mu.Unlock()
			}
		}
	}
}

type fileStamp struct {
	ino, size int64
	mtime     int64
}

func stamp(path string) fileStamp {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return fileStamp{}
	}
	return fileStamp{int64(st.Ino), st.Size, st.Mtim.Nano()}
}

// Polling reports whether the subscription polls instead of using
// inotify.
func (s *Subscription) Polling() bool { return s.stop != nil }
