package mailbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gyrus/lib/fileio"
	"gyrus/lib/lockfile"
)

// nameLocks holds the two Cyrus lock files of a mailbox (spec/formats.md
// §3.4, §12): the owner's namespace lock "*U*<userid>" and the mailbox
// name lock. Cyrus's order is namespace lock, then name lock, then the
// index; a process that holds the name lock and wants the namespace lock
// first lets go of the name lock, so nobody ever waits for the namespace
// lock while holding a name lock (which would deadlock against a Cyrus
// process that holds the namespace lock and waits for the name lock to
// repack or delete).
type nameLocks struct {
	loc      *Location
	name     *os.File
	nameMode lockfile.Mode
	nameHeld bool
	user     *os.File
	userHeld bool
}

// openLockFile opens (creating it and its directories) a lock file.
func openLockFile(path string) (*os.File, error) {
	f, err := fileio.Open(path, os.O_RDWR|os.O_CREATE, 0o666)
	if errors.Is(err, os.ErrNotExist) {
		if err := ensureDir(filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("lock directory: %w", err)
		}
		f, err = fileio.Open(path, os.O_RDWR|os.O_CREATE, 0o666)
	}
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	return f, nil
}

func lockMode(f *os.File, mode lockfile.Mode, wait bool) error {
	if wait {
		return lockfile.Lock(f, mode)
	}
	err := lockfile.TryLock(f, mode)
	if errors.Is(err, lockfile.ErrWouldBlock) {
		return fmt.Errorf("%s: %w", f.Name(), ErrLocked)
	}
	return err
}

// lockName takes the name lock in mode (waiting or not).
func (l *nameLocks) lockName(mode lockfile.Mode, wait bool) error {
	if l.loc.NameLock == "" {
		l.nameHeld, l.nameMode = true, mode
		return nil
	}
	if l.name == nil {
		f, err := openLockFile(l.loc.NameLock)
		if err != nil {
			return err
		}
		l.name = f
	}
	if err := lockMode(l.name, mode, wait); err != nil {
		return err
	}
	l.nameHeld, l.nameMode = true, mode
	return nil
}

func (l *nameLocks) unlockName() {
	if l.name != nil && l.nameHeld {
		lockfile.Unlock(l.name)
	}
	l.nameHeld = false
}

// lockUser takes the namespace lock in mode. If the name lock is held it
// is released first and taken again (in its previous mode, shared unless
// nameMode says otherwise) once the namespace lock is held.
func (l *nameLocks) lockUser(mode lockfile.Mode, nameMode lockfile.Mode, waitName bool) error {
	if l.loc.UserLock == "" {
		if l.nameHeld && l.nameMode == nameMode {
			return nil
		}
		return l.lockName(nameMode, waitName)
	}
	if l.user == nil {
		f, err := openLockFile(l.loc.UserLock)
		if err != nil {
			return err
		}
		l.user = f
	}
	l.unlockName()
	if err := lockfile.Lock(l.user, mode); err != nil {
		return err
	}
	l.userHeld = true
	if err := l.lockName(nameMode, waitName); err != nil {
		l.unlockUser()
		// keep the shared name lock we had, if we can
		if nameMode != lockfile.Shared {
			l.lockName(lockfile.Shared, true)
		}
		return err
	}
	return nil
}

func (l *nameLocks) unlockUser() {
	if l.user != nil && l.userHeld {
		lockfile.Unlock(l.user)
	}
	l.userHeld = false
}

func (l *nameLocks) close() {
	if l.name != nil {
		l.name.Close()
		l.name = nil
	}
	if l.user != nil {
		l.user.Close()
		l.user = nil
	}
	l.nameHeld, l.userHeld = false, false
}
