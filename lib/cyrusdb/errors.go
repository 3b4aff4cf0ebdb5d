package cyrusdb

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound: the key is not in the database, or the file does not
	// exist and Create was not given.
	ErrNotFound = errors.New("cyrusdb: not found")
	// ErrExists: Create found the key already present.
	ErrExists = errors.New("cyrusdb: key exists")
	// ErrReadOnly: a write in a read (shared) transaction.
	ErrReadOnly = errors.New("cyrusdb: read-only transaction")
	// ErrLocked: the database is held by another owner (single-owner
	// backends such as badger).
	ErrLocked = errors.New("cyrusdb: database is locked by another owner")
	// ErrTxDone: the transaction was already committed or aborted.
	ErrTxDone = errors.New("cyrusdb: transaction already finished")
	// ErrEmptyKey: keys must not be empty.
	ErrEmptyKey = errors.New("cyrusdb: empty key")
	// ErrNotImplemented: the backend lacks the operation (e.g. writes to
	// the read-only skiplist backend).
	ErrNotImplemented = errors.New("cyrusdb: operation not implemented by this backend")
	// ErrCorrupt matches every *CorruptError.
	ErrCorrupt = errors.New("cyrusdb: database is corrupt")
	// ErrFormat: the file is not in this backend's format (wrong magic);
	// Open then detects the real backend.
	ErrFormat = errors.New("cyrusdb: file is not in the backend's format")
)

// CorruptError reports damage found in a database file: which file, at
// which byte offset, and what was wrong there.
type CorruptError struct {
	Path   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("cyrusdb: %s: corrupt at offset %d (0x%X): %s", e.Path, e.Offset, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Corrupt builds a *CorruptError.
func Corrupt(path string, offset int64, format string, args ...any) error {
	return &CorruptError{Path: path, Offset: offset, Reason: fmt.Sprintf(format, args...)}
}
