package fileio

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// SyncFS makes durable everything written before the call to the file
// systems that hold dirs (each synced once): the group commit of the
// process's fsyncs.
//
// One sync of a file system is syncfs(2) followed by an fsync(2) of dir.
// syncfs writes every dirty page, inode and directory block of the file
// system and waits for them; the fsync then has the device flush its
// write cache. The second step matters on ext4 without a journal, whose
// syncfs flushes the device cache before it writes the inode and
// directory blocks out, so that syncfs alone leaves them in the cache;
// every fsync of ext4 ends with a flush, on any file system it is at
// worst a flush more.
//
// Goroutines that ask at the same time share a sync: while one runs,
// every caller that arrives joins the next one, which starts when the
// running one ends, so each caller waits for at most two and a process
// runs one at a time per file system. A caller's writes are covered by
// the sync it waits for because that sync starts after the caller
// asked. Two processes each run their own syncs; the kernel makes the
// later one cheap, as the first has written the dirty data already.
func SyncFS(dirs ...string) error {
	seen := make([]uint64, 0, 2)
next:
	for i, dir := range dirs {
		if slices.Contains(dirs[:i], dir) {
			continue
		}
		var st unix.Stat_t
		if err := unix.Stat(dir, &st); err != nil {
			return &os.PathError{Op: "stat", Path: dir, Err: err}
		}
		for _, d := range seen {
			if d == st.Dev {
				continue next
			}
		}
		seen = append(seen, st.Dev)
		if err := fsGroupOf(st.Dev).sync(dir); err != nil {
			return err
		}
	}
	return nil
}

// SyncFSCheap tells whether a SyncFS now costs little beyond the
// caller's own writes: whether the system holds less than
// syncFSMaxDirty bytes of dirty page cache (/proc/meminfo Dirty, read
// at most every 100 ms). syncfs writes everything dirty on the file
// system; when another program has written a lot there (a copy, a
// restore, a search index being built), callers should fsync their own
// files instead of waiting for all of it.
func SyncFSCheap() bool {
	now := time.Now().UnixNano()
	if now-dirtyCheckedAt.Load() > int64(100*time.Millisecond) {
		dirtyCheckedAt.Store(now)
		dirtyLow.Store(dirtyBytes() < syncFSMaxDirty)
	}
	return dirtyLow.Load()
}

const syncFSMaxDirty = 64 << 20

var (
	dirtyCheckedAt atomic.Int64
	dirtyLow       atomic.Bool
)

// dirtyBytes is /proc/meminfo's Dirty; when it cannot be read, more
// than syncFSMaxDirty (syncfs is then not used).
func dirtyBytes() int64 {
	b, err := ReadFile("/proc/meminfo")
	if err != nil {
		return syncFSMaxDirty
	}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if v, ok := bytes.CutPrefix(line, []byte("Dirty:")); ok {
			f := strings.Fields(string(v))
			if len(f) != 2 || f[1] != "kB" {
				break
			}
			if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				return n << 10
			}
			break
		}
	}
	return syncFSMaxDirty
}

var fsGroups sync.Map // device number -> *fsGroup

func fsGroupOf(dev uint64) *fsGroup {
	if g, ok := fsGroups.Load(dev); ok {
		return g.(*fsGroup)
	}
	ng := &fsGroup{dev: dev}
	ng.do = ng.syncKept
	g, _ := fsGroups.LoadOrStore(dev, ng)
	return g.(*fsGroup)
}

// fsGroup is the syncs of one file system: at most one running (cur)
// and one gathering callers (next).
type fsGroup struct {
	do   func(dir string) error // one sync (syncKept; tests replace it)
	dev  uint64
	mu   sync.Mutex
	cur  *fsSync
	next *fsSync

	// kept is a directory of the file system, opened by the first sync
	// and kept for the next ones: opening and closing it for each sync
	// cost four system calls per delivery batch. Only the running sync
	// uses it.
	kept *os.File
}

type fsSync struct {
	done chan struct{}
	err  error
}

func (g *fsGroup) sync(dir string) error {
	return g.share(func() error { return g.do(dir) })
}

// share has one of the group's syncs cover the caller: the running one
// if it started after the caller asked, else the next. The sync is run
// by the first caller that joins it, with its own do; every caller
// that joins it gets its error.
func (g *fsGroup) share(do func() error) error {
	g.mu.Lock()
	if g.cur == nil {
		s := &fsSync{done: make(chan struct{})}
		g.cur = s
		g.mu.Unlock()
		g.run(s, do)
		return s.err
	}
	if s := g.next; s != nil {
		g.mu.Unlock()
		<-s.done
		return s.err
	}
	// the first caller of the next sync runs it when the current ends
	s := &fsSync{done: make(chan struct{})}
	g.next = s
	prev := g.cur
	g.mu.Unlock()
	<-prev.done
	g.run(s, do)
	return s.err
}

// run does sync s, which is (or has just become) g.cur, and makes the
// next one current before it tells its callers.
func (g *fsGroup) run(s *fsSync, do func() error) {
	s.err = do()
	g.mu.Lock()
	g.cur, g.next = g.next, nil
	g.mu.Unlock()
	close(s.done)
}

// syncKept is one sync of g's file system through its kept directory,
// opened from dir the first time. The kept directory is checked to be
// on g's file system still (a device number can be reused by another
// file system after a lazy unmount); after a failure it is opened anew
// next time.
func (g *fsGroup) syncKept(dir string) error {
	if g.kept != nil {
		var st unix.Stat_t
		if unix.Fstat(int(g.kept.Fd()), &st) != nil || st.Dev != g.dev {
			g.kept.Close()
			g.kept = nil
		}
	}
	if g.kept == nil {
		f, err := openDirOrParent(dir)
		if err != nil {
			return err
		}
		g.kept = f
	}
	if err := syncDir(g.kept); err != nil {
		g.kept.Close()
		g.kept = nil
		return err
	}
	return nil
}

// openDirOrParent opens dir, or its nearest parent if it is gone: the
// directory may have been removed since its caller asked (the sync of a
// group runs with the directory of its first caller), and the parent is
// on the same file system.
func openDirOrParent(dir string) (*os.File, error) {
	f, err := Open(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	for errors.Is(err, os.ErrNotExist) && filepath.Dir(dir) != dir {
		dir = filepath.Dir(dir)
		f, err = Open(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	}
	return f, err
}

// syncDir is syncfs(2) of the file system of directory f, then the
// fsync(2) of f that has the device flush its cache (see SyncFS).
func syncDir(f *os.File) error {
	if err := syncCall(unix.SYS_SYNCFS, f.Fd(), 0, 0, 0); err != nil {
		return fmt.Errorf("syncfs %s: %w", f.Name(), err)
	}
	if err := syncCall(unix.SYS_FSYNC, f.Fd(), 0, 0, 0); err != nil {
		return fmt.Errorf("fsync %s: %w", f.Name(), err)
	}
	return nil
}
