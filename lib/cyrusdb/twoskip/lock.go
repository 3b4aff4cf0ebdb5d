package twoskip

import (
	"io"
	"unsafe"

	"golang.org/x/sys/unix"

	"gyrus/lib/lockfile"
)

// The lock calls of a transaction that does not have to wait are made
// without the Go scheduler's syscall bookkeeping (RawSyscall): they
// never block, and entering a "blocking" system call lets the runtime
// hand the processor to another thread when the call is slow to return,
// which on a busy machine costs more than the call. Only when the lock
// is held elsewhere do we wait, through lockfile.Lock. Same locks
// (whole-file OFD locks, see gyrus/lib/lockfile), same order.

// tryLockFast takes the lock if nobody holds a conflicting one.
func tryLockFast(fd int, mode lockfile.Mode) bool {
	lk := unix.Flock_t{Type: unix.F_RDLCK, Whence: io.SeekStart}
	if mode == lockfile.Exclusive {
		lk.Type = unix.F_WRLCK
	}
	_, _, e := unix.RawSyscall(unix.SYS_FCNTL, uintptr(fd), unix.F_OFD_SETLK, uintptr(unsafe.Pointer(&lk)))
	return e == 0
}

// unlockFast releases the lock held through fd; it reports whether the
// call succeeded (on failure the caller goes through lockfile.Unlock,
// which reports the error).
func unlockFast(fd int) bool {
	lk := unix.Flock_t{Type: unix.F_UNLCK, Whence: io.SeekStart}
	_, _, e := unix.RawSyscall(unix.SYS_FCNTL, uintptr(fd), unix.F_OFD_SETLK, uintptr(unsafe.Pointer(&lk)))
	return e == 0
}
