package fileio

import (
	"fmt"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// SyncOverwrite makes durable what was written to f since its last sync,
// when all of it overwrote bytes that were already durable: f has not
// grown since, and no block of it is new (a cyrus.index whose appended
// records went out with an earlier SyncFS, and whose header and changed
// records are now rewritten in place). Such writes need no metadata on
// disk, only the pages and then the device's write cache emptied.
//
// On ext4 and XFS, whose fsync(2) always ends with a flush of the
// device's write cache (even for a file with nothing dirty; so since
// Linux 4.0 at the latest, and Gyrus checks for it), the pages
// of f are written and waited for with sync_file_range(2), and the
// flush is one fdatasync(2) shared with every other caller on the same
// file system at the time (the first of them runs it on its own file;
// see fsGroup.share): concurrent commits of many mailboxes cost one
// flush, not one each, and only the one that runs it writes its inode
// for the modification time (ext4 without a journal does; the others'
// inodes go out with the next SyncFS). Elsewhere it is an fdatasync(2)
// of f.
func SyncOverwrite(f *os.File) error {
	fd := int(f.Fd())
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		return &os.PathError{Op: "fstatfs", Path: f.Name(), Err: err}
	}
	if sfs.Type != ext4Magic && sfs.Type != xfsMagic || !kernelFlushesAlways() {
		return fdatasync(f)
	}
	if err := syncPages(fd); err != nil {
		return fmt.Errorf("sync_file_range %s: %w", f.Name(), err)
	}
	return flushGroupOf(fsKey{st.Dev, int64(sfs.Type), sfs.Fsid}).share(func() error { return fdatasync(f) })
}

// syncPages writes the dirty pages of file fd and waits for them
// (sync_file_range(2) of the whole file), raw where the system call
// takes its arguments in this order (see syncCall).
func syncPages(fd int) error {
	const all = unix.SYNC_FILE_RANGE_WAIT_BEFORE | unix.SYNC_FILE_RANGE_WRITE | unix.SYNC_FILE_RANGE_WAIT_AFTER
	switch runtime.GOARCH {
	case "amd64", "arm64", "riscv64", "loong64", "s390x":
		return syncCall(unix.SYS_SYNC_FILE_RANGE, uintptr(fd), 0, 0, all)
	}
	for {
		if err := unix.SyncFileRange(fd, 0, 0, all); err != unix.EINTR {
			return err
		}
	}
}

func fdatasync(f *os.File) error {
	if err := syncCall(unix.SYS_FDATASYNC, f.Fd(), 0, 0, 0); err != nil {
		return fmt.Errorf("fdatasync %s: %w", f.Name(), err)
	}
	return nil
}

// kernelFlushesAlways tells whether the running kernel is Linux 4.0 or
// later, whose ext4 and XFS fsync flush the device cache even when the
// file has nothing to write (2.6 kernels skipped the flush for a clean
// inode).
var kernelFlushesAlways = sync.OnceValue(func() bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	major := 0
	for _, c := range u.Release {
		if c < '0' || c > '9' {
			break
		}
		major = major*10 + int(c-'0')
	}
	return major >= 4
})

// fsKey names a file system by its device number, type and identifier
// (statfs(2)): a device number alone can come to name another file
// system after an unmount, and a copied file system keeps its
// identifier.
type fsKey struct {
	dev  uint64
	typ  int64
	fsid unix.Fsid
}

var flushGroups sync.Map // fsKey -> *fsGroup

// The file systems whose fsync always flushes the device's cache (see
// ext4_sync_file and xfs_file_fsync): ext2, ext3 and ext4 share a magic
// number and Linux runs all three with its ext4 code.
const (
	ext4Magic = 0xEF53
	xfsMagic  = 0x58465342
)

// flushGroupOf is the group of the device flushes of file system k.
func flushGroupOf(k fsKey) *fsGroup {
	if g, ok := flushGroups.Load(k); ok {
		return g.(*fsGroup)
	}
	g, _ := flushGroups.LoadOrStore(k, &fsGroup{})
	return g.(*fsGroup)
}
