package mailbox

import (
	"errors"
	"fmt"

	"gyrus/lib/mailbox/index"
)

var (
	// ErrNotFound: no such mailbox (no cyrus.header/cyrus.index), or no
	// record with that UID.
	ErrNotFound = errors.New("mailbox: not found")
	// ErrExists: Create found mailbox files already there.
	ErrExists = errors.New("mailbox: already exists")
	// ErrDeleted: the mailbox is marked deleted (OPT_MAILBOX_DELETED)
	// and awaits cleanup; Cyrus answers "nonexistent".
	ErrDeleted = errors.New("mailbox: deleted")
	// ErrLocked: a non-waiting lock attempt found the lock held.
	ErrLocked = errors.New("mailbox: locked by another process")
	// ErrReadOnly: a change was attempted on a handle opened read-only.
	ErrReadOnly = errors.New("mailbox: opened read-only")
	// ErrClosed: the handle or transaction is finished.
	ErrClosed = errors.New("mailbox: closed")
	// ErrTxOpen: a second transaction was begun on one handle.
	ErrTxOpen = errors.New("mailbox: a transaction is already open on this handle")
	// ErrUserFlagsExhausted: no free user flag slot (Cyrus
	// IMAP_USERFLAG_EXHAUSTED).
	ErrUserFlagsExhausted = errors.New("mailbox: too many user flags in mailbox")
	// ErrBadFlag: a user flag name that is not an IMAP atom.
	ErrBadFlag = errors.New("mailbox: invalid flag name")
	// ErrStale: a view was taken before a repack replaced the index; call
	// Refresh.
	ErrStale = errors.New("mailbox: view is stale (index was repacked), refresh it")
	// ErrExpunged: the message was expunged (its record or file is gone).
	ErrExpunged = errors.New("mailbox: message expunged")
)

// ErrCorrupt is matched by every error that reports damage in a mailbox
// file (a *index.CorruptError naming the file and offset).
var ErrCorrupt = index.ErrCorrupt

// inFile returns err with the file name replaced by path when err is a
// *index.CorruptError, so that every corruption report names the real
// file.
func inFile(path string, err error) error {
	var ce *index.CorruptError
	if errors.As(err, &ce) {
		c := *ce
		c.File = path
		return &c
	}
	return err
}

func corruptf(path string, off int64, format string, args ...any) error {
	return &index.CorruptError{File: path, Offset: off, Reason: fmt.Sprintf(format, args...)}
}
