package index

import (
	"errors"
	"fmt"
)

// ErrCorrupt is matched (errors.Is) by every *CorruptError.
var ErrCorrupt = errors.New("mailbox file corrupt")

// ErrVersion is matched by the error for an index minor version this
// package cannot read.
var ErrVersion = errors.New("unsupported cyrus.index version")

// CorruptError reports damage in one of the mailbox files. File is the
// file name (the parsers of this package use the base name, e.g.
// "cyrus.index"; package mailbox replaces it with the full path), Offset
// the byte offset where the damage is, Record the 1-based record number
// when the damage is in an index record (0 otherwise), UID the UID of
// that record when known.
type CorruptError struct {
	File   string
	Offset int64
	Record uint32
	UID    uint32
	Reason string
}

func (e *CorruptError) Error() string {
	s := e.File
	if e.Record != 0 {
		s += fmt.Sprintf(" record %d", e.Record)
		if e.UID != 0 {
			s += fmt.Sprintf(" (uid %d)", e.UID)
		}
	}
	return fmt.Sprintf("%s at offset %d: %s", s, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

func corrupt(file string, off int64, format string, args ...any) *CorruptError {
	return &CorruptError{File: file, Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// File names inside a mailbox directory (spec/formats.md §3.2).
const (
	HeaderFile      = "cyrus.header"
	IndexFile       = "cyrus.index"
	CacheFile       = "cyrus.cache"
	AnnotationsFile = "cyrus.annotations"
	NewSuffix       = ".NEW"
)
