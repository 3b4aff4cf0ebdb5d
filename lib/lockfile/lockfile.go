package lockfile

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Mode is the kind of lock: many Shared holders, or one Exclusive holder.
type Mode int

const (
	// Shared is a read lock (F_RDLCK): it conflicts only with Exclusive.
	Shared Mode = iota
	// Exclusive is a write lock (F_WRLCK): it conflicts with every other lock.
	Exclusive
)

func (m Mode) String() string {
	switch m {
	case Shared:
		return "shared"
	case Exclusive:
		return "exclusive"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

func (m Mode) lockType() (int16, error) {
	switch m {
	case Shared:
		return unix.F_RDLCK, nil
	case Exclusive:
		return unix.F_WRLCK, nil
	}
	return 0, fmt.Errorf("lockfile: invalid mode %d", int(m))
}

// ErrWouldBlock is returned by TryLock when another open file description
// (in this process or another) holds a conflicting lock.
var ErrWouldBlock = errors.New("lockfile: file is locked by another holder")

// fder is what we need from the file: *os.File satisfies it.
type fder interface {
	Fd() uintptr
	Name() string
}

func setlk(f fder, cmd int, typ int16) error {
	lk := unix.Flock_t{Type: typ, Whence: io.SeekStart, Start: 0, Len: 0}
	for {
		err := unix.FcntlFlock(f.Fd(), cmd, &lk)
		if err == unix.EINTR {
			continue
		}
		return err
	}
}

// Lock waits until it holds a whole-file lock of the given mode on f.
func Lock(f *os.File, mode Mode) error {
	typ, err := mode.lockType()
	if err != nil {
		return err
	}
	if err := setlk(f, unix.F_OFD_SETLKW, typ); err != nil {
		return &os.PathError{Op: "lock " + mode.String(), Path: f.Name(), Err: err}
	}
	return nil
}

// TryLock takes a whole-file lock of the given mode on f without waiting.
// It returns an error wrapping ErrWouldBlock if a conflicting lock is held.
func TryLock(f *os.File, mode Mode) error {
	typ, err := mode.lockType()
	if err != nil {
		return err
	}
	err = setlk(f, unix.F_OFD_SETLK, typ)
	if err == unix.EAGAIN || err == unix.EACCES {
		return fmt.Errorf("trylock %s %s: %w", mode, f.Name(), ErrWouldBlock)
	}
	if err != nil {
		return &os.PathError{Op: "trylock " + mode.String(), Path: f.Name(), Err: err}
	}
	return nil
}

// Unlock releases the lock held through f (a no-op if none is held).
func Unlock(f *os.File) error {
	if err := setlk(f, unix.F_OFD_SETLK, unix.F_UNLCK); err != nil {
		return &os.PathError{Op: "unlock", Path: f.Name(), Err: err}
	}
	return nil
}

// Conflict reports whether a lock of the given mode on f would have to
// wait, and if so the mode of one conflicting lock and the pid of its
// holder. The pid is -1 when the holder is an OFD lock (the kernel does
// not name the process for those); it is the process id for a classic
// fcntl lock such as the ones real Cyrus takes.
func Conflict(f *os.File, mode Mode) (conflict bool, held Mode, pid int, err error) {
	typ, err := mode.lockType()
	if err != nil {
		return false, 0, 0, err
	}
	lk := unix.Flock_t{Type: typ, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_GETLK, &lk); err != nil {
		return false, 0, 0, &os.PathError{Op: "getlk", Path: f.Name(), Err: err}
	}
	if lk.Type == unix.F_UNLCK {
		return false, 0, 0, nil
	}
	held = Shared
	if lk.Type == unix.F_WRLCK {
		held = Exclusive
	}
	return true, held, int(lk.Pid), nil
}
