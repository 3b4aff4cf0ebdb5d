package fileio

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSyncFS syncs a real file system, twice for the same one named by
// two directories (one sync), and reports a missing directory.
func TestSyncFS(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "1."), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SyncFS(dir, sub); err != nil {
		t.Fatal(err)
	}
	if err := SyncFS(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Fatalf("missing directory: got %v", err)
	}
	// a group's sync whose directory went meanwhile syncs through the
	// nearest parent
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	g := &fsGroup{dev: st.Dev}
	defer func() { g.kept.Close() }()
	if err := g.syncKept(filepath.Join(sub, "gone", "deeper")); err != nil {
		t.Fatalf("sync through a removed directory: %v", err)
	}
}

// TestSyncKept checks the directory a file system's group keeps for its
// syncs: kept while its directory is removed, replaced when it is no
// longer on the group's file system.
func TestSyncKept(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	g := &fsGroup{dev: st.Dev}
	if err := g.syncKept(sub); err != nil {
		t.Fatal(err)
	}
	kept := g.kept
	if kept == nil || kept.Name() != sub {
		t.Fatalf("kept %v", kept)
	}
	if err := os.Remove(sub); err != nil {
		t.Fatal(err)
	}
	if err := g.syncKept(filepath.Join(dir, "other")); err != nil || g.kept != kept {
		t.Fatalf("after removal: %v, kept %v", err, g.kept)
	}
	g.dev++ // as if the number now named another file system
	if err := g.syncKept(dir); err != nil || g.kept == kept || g.kept.Name() != dir {
		t.Fatalf("after a device change: %v, kept %v", err, g.kept)
	}
	g.kept.Close()
}

// syncedAfter is what the fake sync of TestSyncFSGroup returns: how many
// callers had asked when the sync started.
type syncedAfter struct{ asked int64 }

func (s *syncedAfter) Error() string { return fmt.Sprintf("synced after %d", s.asked) }

// TestSyncFSGroup checks the group commit: every caller is answered by
// a sync that started after it asked (so its writes are covered), and
// concurrent callers share syncs.
func TestSyncFSGroup(t *testing.T) {
	var asked, syncs, running atomic.Int64
	g := &fsGroup{do: func(string) error {
		if running.Add(1) != 1 {
			t.Error("two syncs of one file system at once")
		}
		defer running.Add(-1)
		syncs.Add(1)
		s := &syncedAfter{asked: asked.Load()}
		time.Sleep(200 * time.Microsecond)
		return s
	}}
	const callers, rounds = 16, 50
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range rounds {
				me := asked.Add(1)
				err := g.sync("/")
				s, ok := err.(*syncedAfter)
				if !ok {
					t.Errorf("got %v", err)
					return
				}
				if s.asked < me {
					t.Errorf("caller %d answered by a sync that started after only %d callers", me, s.asked)
				}
			}
		})
	}
	wg.Wait()
	if n := syncs.Load(); n >= callers*rounds {
		t.Errorf("%d syncs for %d calls: none shared", n, callers*rounds)
	} else {
		t.Logf("%d syncs for %d calls", n, callers*rounds)
	}
}

// TestDirtyBytes reads this machine's /proc/meminfo.
func TestDirtyBytes(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo")
	}
	n := dirtyBytes()
	if n < 0 || n == syncFSMaxDirty {
		t.Fatalf("Dirty: %d", n)
	}
	t.Logf("dirty: %d bytes, SyncFS cheap: %v", n, SyncFSCheap())
}
