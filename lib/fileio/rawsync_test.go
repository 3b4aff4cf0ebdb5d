package fileio

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// withRawSyncs runs f with n raw slots and procs Ps, and restores both.
func withRawSyncs(t *testing.T, n, procs int, f func()) {
	t.Helper()
	defer SetRawSyncs(int(rawSlots.Load()))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	SetRawSyncs(n)
	f()
}

// TestSyncCallErrors: raw or not, a sync of a good file succeeds and a
// bad descriptor's error comes back as the system call's.
func TestSyncCallErrors(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range []int{0, 1} {
		withRawSyncs(t, n, runtime.GOMAXPROCS(0), func() {
			if _, err := f.WriteString("x"); err != nil {
				t.Fatal(err)
			}
			if err := syncCall(unix.SYS_FDATASYNC, f.Fd(), 0, 0, 0); err != nil {
				t.Errorf("raw slots %d: fdatasync: %v", n, err)
			}
			if err := syncPages(int(f.Fd())); err != nil {
				t.Errorf("raw slots %d: sync_file_range: %v", n, err)
			}
			if err := syncCall(unix.SYS_FSYNC, ^uintptr(0)>>1, 0, 0, 0); !errors.Is(err, unix.EBADF) {
				t.Errorf("raw slots %d: fsync of a bad descriptor: %v, want EBADF", n, err)
			}
			if rawFlight.Load() != 0 {
				t.Errorf("raw slots %d: %d calls still counted in flight", n, rawFlight.Load())
			}
		})
	}
}

// TestRawSyncsBounded blocks one call in each of two pipes through
// syncCall with one raw slot and two Ps: the first holds a P, the
// second must be an ordinary system call, whose P the scheduler takes
// back for the goroutine that then writes to both pipes. Were both
// raw, both Ps would be held and nothing in the process could run
// again, not even the test's timeout: so it runs in a child process,
// which is killed if it has not finished in 30 s.
func TestRawSyncsBounded(t *testing.T) {
	if os.Getenv("GYRUS_RAWSYNC_CHILD") != "" {
		rawSyncsBoundedChild(t)
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^TestRawSyncsBounded$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GYRUS_RAWSYNC_CHILD=1")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the child hung: more raw calls in flight than slots\n%s", out)
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func rawSyncsBoundedChild(t *testing.T) {
	// No collection may start meanwhile: it would wait for the raw call.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var p [2][2]int
	for i := range p {
		if err := unix.Pipe2(p[i][:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(p[i][0])
		defer unix.Close(p[i][1])
	}
	withRawSyncs(t, 1, 2, func() {
		bufs := make([]byte, 2)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		started := make(chan struct{}, 2)
		for i := range p {
			wg.Go(func() {
				started <- struct{}{}
				errs[i] = syncCall(unix.SYS_READ, uintptr(p[i][0]), uintptr(unsafe.Pointer(&bufs[i])), 1, 0)
			})
		}
		<-started
		<-started
		// Give both time to block (if they have not, the test proves
		// less but cannot fail wrongly).
		time.Sleep(50 * time.Millisecond)
		for i := range p {
			if _, err := unix.Write(p[i][1], []byte{byte('a' + i)}); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		runtime.KeepAlive(bufs)
		for i, err := range errs {
			if err != nil || bufs[i] != byte('a'+i) {
				t.Errorf("pipe %d: read %q, %v", i, bufs[i], err)
			}
		}
	})
}

// TestSyncsWithRawSlots runs concurrent group syncs with raw slots on:
// SyncFS and SyncOverwrite from many goroutines, fewer slots than
// callers.
func TestSyncsWithRawSlots(t *testing.T) {
	dir := t.TempDir()
	withRawSyncs(t, 2, 3, func() {
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				f, err := os.Create(filepath.Join(dir, "f"+string(rune('a'+i))))
				if err != nil {
					t.Error(err)
					return
				}
				defer f.Close()
				if _, err := f.WriteString("new"); err != nil {
					t.Error(err)
					return
				}
				if err := SyncFS(dir); err != nil {
					t.Error(err)
					return
				}
				if _, err := f.WriteAt([]byte("old"), 0); err != nil {
					t.Error(err)
					return
				}
				if err := SyncOverwrite(f); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	})
	if rawFlight.Load() != 0 {
		t.Errorf("%d calls still counted in flight", rawFlight.Load())
	}
}
