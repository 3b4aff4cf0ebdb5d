package mboxlist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gyrus/lib/fileio"
	"gyrus/lib/lockfile"
	"gyrus/lib/mboxname"
)

// Lock is a held lock file (a user namespace lock or a mailbox name lock,
// spec/formats.md §3.4). Release it when done.
type Lock struct {
	f    *os.File
	Path string
}

// Release lets the lock go.
func (k *Lock) Release() {
	if k != nil && k.f != nil {
		k.f.Close()
		k.f = nil
	}
}

func takeLock(path string, mode lockfile.Mode, wait bool) (*Lock, error) {
	f, err := fileio.Open(path, os.O_RDWR|os.O_CREATE, 0o666)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("lock directory: %w", err)
		}
		f, err = fileio.Open(path, os.O_RDWR|os.O_CREATE, 0o666)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if wait {
		err = lockfile.Lock(f, mode)
	} else {
		err = lockfile.TryLock(f, mode)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f, Path: path}, nil
}

// LockUser takes userid's namespace lock "*U*<userid>" (Cyrus
// user_namespacelock): exclusive to create, delete or rename any of the
// user's mailboxes, shared to keep them from changing. "" is the lock of
// shared (non-user) mailboxes. Cyrus 3.6.1 takes the same file with
// classic fcntl locks, which conflict with ours.
func (l *List) LockUser(userid string, mode lockfile.Mode) (*Lock, error) {
	return takeLock(l.s.Layout.LockPath(mboxname.UserLockName(userid)), mode, true)
}

// LockNamespace takes the namespace lock of the owner of an internal
// mailbox name (Cyrus mboxname_usernamespacelock).
func (l *List) LockNamespace(intname string, mode lockfile.Mode) (*Lock, error) {
	return l.LockUser(l.s.Layout.NS.UserOf(intname), mode)
}

// lockSet holds the namespace locks of several owners, taken in a fixed
// (sorted) order so that two renames between the same users cannot
// deadlock.
type lockSet []*Lock

func (l *List) lockUsers(names ...string) (lockSet, error) {
	seen := map[string]bool{}
	var users []string
	for _, n := range names {
		u := l.s.Layout.NS.UserOf(n)
		if !seen[u] {
			seen[u] = true
			users = append(users, u)
		}
	}
	sortStrings(users)
	var set lockSet
	for _, u := range users {
		k, err := l.LockUser(u, lockfile.Exclusive)
		if err != nil {
			set.release()
			return nil, err
		}
		set = append(set, k)
	}
	return set, nil
}

func (s lockSet) release() {
	for i := len(s) - 1; i >= 0; i-- {
		s[i].Release()
	}
}

const lockExclusive = lockfile.Exclusive
