package lockfile

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"gyrus/lib/fileio"
)

// maxReopen bounds how many times OpenLocked follows a file that keeps
// being replaced under it. Each replacement means another writer finished
// a rewrite, so running out means something is rewriting in a tight loop.
const maxReopen = 1000

// ErrReplaced is returned when a path kept being replaced while we tried
// to lock it.
var ErrReplaced = errors.New("lockfile: file keeps being replaced while locking")

// SameFile reports whether f (by fstat) is the file that path names now
// (by stat). A path that no longer exists is not the same file.
func SameFile(f *os.File, path string) (bool, error) {
	var fst, pst unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &fst); err != nil {
		return false, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	if err := unix.Stat(path, &pst); err != nil {
		if err == unix.ENOENT {
			return false, nil
		}
		return false, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return fst.Dev == pst.Dev && fst.Ino == pst.Ino, nil
}

// OpenLocked opens path with os.OpenFile(path, flag, perm), waits for a
// lock of the given mode, and then checks that path still names the file
// it locked. If the file was replaced by rename (or removed) while we
// waited, it closes it and starts again on whatever path names now. On
// success the returned file is open and locked; closing it unlocks.
func OpenLocked(path string, flag int, perm os.FileMode, mode Mode) (*os.File, error) {
	return openLocked(path, flag, perm, mode, false)
}

// TryOpenLocked is OpenLocked that does not wait: if the lock is held
// elsewhere it returns an error wrapping ErrWouldBlock.
func TryOpenLocked(path string, flag int, perm os.FileMode, mode Mode) (*os.File, error) {
	return openLocked(path, flag, perm, mode, true)
}

func openLocked(path string, flag int, perm os.FileMode, mode Mode, try bool) (*os.File, error) {
	for i := 0; i < maxReopen; i++ {
		f, err := fileio.Open(path, flag, perm)
		if err != nil {
			return nil, err
		}
		if try {
			err = TryLock(f, mode)
		} else {
			err = Lock(f, mode)
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		same, err := SameFile(f, path)
		if err != nil {
			f.Close()
			return nil, err
		}
		if same {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("open %s: %w", path, ErrReplaced)
}

// Relock locks an already open f and re-checks that path still names it.
// If it does, it returns f itself. If the file was replaced, it closes f
// and returns a freshly opened and locked file (opened with flag), and
// replaced is true so the caller knows to re-read any cached state.
func Relock(f *os.File, path string, flag int, mode Mode) (nf *os.File, replaced bool, err error) {
	if err := Lock(f, mode); err != nil {
		return nil, false, err
	}
	same, err := SameFile(f, path)
	if err != nil {
		Unlock(f)
		return nil, false, err
	}
	if same {
		return f, false, nil
	}
	f.Close()
	nf, err = OpenLocked(path, flag&^(os.O_CREATE|os.O_EXCL|os.O_TRUNC), 0, mode)
	if err != nil {
		return nil, true, err
	}
	return nf, true, nil
}
