package fileio

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSyncOverwrite overwrites the start of several synced files from
// goroutines at once, each made durable by SyncOverwrite, and reads back
// what was written; on a file system whose syncs it shares, all of them
// are one group. /dev/shm, when there, covers the fdatasync fallback.
func TestSyncOverwrite(t *testing.T) {
	dirs := []string{t.TempDir()}
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "fileio-test"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			dirs = append(dirs, d)
		}
	}
	for _, dir := range dirs {
		var sfs unix.Statfs_t
		if err := unix.Statfs(dir, &sfs); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: file system type %#x", dir, sfs.Type)
		const files = 8
		var wg sync.WaitGroup
		for i := range files {
			wg.Go(func() {
				p := filepath.Join(dir, "f"+strconv.Itoa(i))
				f, err := os.Create(p)
				if err != nil {
					t.Error(err)
					return
				}
				defer f.Close()
				if _, err := f.Write(bytes.Repeat([]byte{'a'}, 10000)); err != nil {
					t.Error(err)
					return
				}
				if err := f.Sync(); err != nil {
					t.Error(err)
					return
				}
				for round := range 5 {
					if _, err := f.WriteAt([]byte(strconv.Itoa(round)), 0); err != nil {
						t.Error(err)
						return
					}
					if err := SyncOverwrite(f); err != nil {
						t.Errorf("%s: %v", p, err)
						return
					}
				}
				b, err := os.ReadFile(p)
				if err != nil || len(b) != 10000 || b[0] != '4' || b[1] != 'a' {
					t.Errorf("%s: read back %q… (%d bytes), %v", p, b[:min(len(b), 4)], len(b), err)
				}
			})
		}
		wg.Wait()
	}
	n := 0
	flushGroups.Range(func(k, _ any) bool {
		n++
		if key := k.(fsKey); key.typ != ext4Magic && key.typ != xfsMagic {
			t.Errorf("a shared flush group for file system type %#x, whose fsync may not flush the device", key.typ)
		}
		return true
	})
	t.Logf("%d shared flush groups (kernel 4.0 or later: %v)", n, kernelFlushesAlways())
	if n > 0 && !kernelFlushesAlways() {
		t.Error("a shared flush group on a kernel whose fsync may skip the flush")
	}
}

// TestSyncOverwriteClosed reports the error of a file that is closed.
func TestSyncOverwriteClosed(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := SyncOverwrite(f); err == nil {
		t.Fatal("no error for a closed file")
	}
}
