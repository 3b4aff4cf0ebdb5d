// Package codec is the byte layout of Cyrus 3.6.1 annotation records,
// shared by the global annotations.db (lib/annotate: mailbox and server
// annotations) and each mailbox's cyrus.annotations (lib/mailbox:
// per-message annotations). spec/formats.md §11.5.
//
// Key: "<first> NUL <entry> NUL <userid> NUL" where first is the mailbox
// uniqueid (global DB; "" for server annotations) or the message UID in
// decimal (cyrus.annotations); userid is "" for shared values and the
// token "[.OwNeR.]" for the owner of a user's mailbox.
//
// Value, as a 64-bit Linux Cyrus writes it:
//
//	4 bytes  value length, big-endian   } an `unsigned long` holding
//	4 bytes  zero                        } htonl(len): 8 bytes on amd64
//	n bytes  value, then NUL
//	"text/plain" NUL                     (legacy content type)
//	8 bytes  zero                        (legacy modifiedsince)
//	8 bytes  modseq, big-endian
//	1 byte   flags (bit 0: deleted tombstone)
//
// Decoding is as lenient as Cyrus's split_attribs: the trailing parts may
// be missing (older records); a deleted record reads as an empty value.
// The package is pure and safe for concurrent use.
package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// OwnerToken stands for the owner of a user's mailbox in keys.
const OwnerToken = "[.OwNeR.]"

// FlagDeleted marks a tombstone (kept for message annotations so that
// replication sees the deletion).
const FlagDeleted = 1

// ContentType is the legacy content type every record carries.
const ContentType = "text/plain"

// Value is a decoded record.
type Value struct {
	Value  []byte
	ModSeq uint64
	Flags  byte
}

// Deleted reports whether the record is a tombstone.
func (v Value) Deleted() bool { return v.Flags&FlagDeleted != 0 }

// ErrBadValue and ErrBadKey report records that cannot be decoded.
var (
	ErrBadValue = errors.New("annotation: bad value")
	ErrBadKey   = errors.New("annotation: bad key")
)

// Encode builds a value (Cyrus make_entry on 64-bit Linux).
func Encode(value []byte, modseq uint64, flags byte) []byte {
	b := make([]byte, 0, 8+len(value)+1+len(ContentType)+1+8+8+1)
	b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	b = append(b, 0, 0, 0, 0)
	b = append(b, value...)
	b = append(b, 0)
	b = append(b, ContentType...)
	b = append(b, 0)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint64(b, modseq)
	return append(b, flags)
}

// Decode reads a value (Cyrus split_attribs).
func Decode(b []byte) (Value, error) {
	var v Value
	if len(b) < 8 {
		return v, fmt.Errorf("%w: %d bytes", ErrBadValue, len(b))
	}
	n := int(binary.BigEndian.Uint32(b))
	rest := b[8:]
	if n > len(rest) {
		return v, fmt.Errorf("%w: length %d beyond %d bytes", ErrBadValue, n, len(rest))
	}
	v.Value = append([]byte(nil), rest[:n]...)
	t := rest[n:]
	if len(t) > 0 {
		t = t[1:] // the value's NUL
	}
	if len(t) > 0 {
		// content type up to its NUL, then an 8-byte modifiedsince
		if i := bytes.IndexByte(t, 0); i >= 0 {
			t = t[i+1:]
		} else {
			t = nil
		}
		if len(t) >= 8 {
			t = t[8:]
		} else {
			t = nil
		}
	}
	if len(t) >= 8 {
		v.ModSeq = binary.BigEndian.Uint64(t)
		t = t[8:]
	} else {
		t = nil
	}
	if len(t) > 0 {
		v.Flags = t[0]
	}
	if v.Deleted() {
		v.Value = nil
	}
	return v, nil
}

// Key builds "<first>\0<entry>\0<userid>\0".
func Key(first, entry, userid string) []byte {
	b := make([]byte, 0, len(first)+len(entry)+len(userid)+3)
	b = append(b, first...)
	b = append(b, 0)
	b = append(b, entry...)
	b = append(b, 0)
	b = append(b, userid...)
	return append(b, 0)
}

// Prefix is the key prefix of every annotation of first.
func Prefix(first string) []byte { return append([]byte(first), 0) }

// SplitKey takes a key apart (Cyrus split_key). hasUser is false for a key
// without the userid part.
func SplitKey(k []byte) (first, entry, userid string, hasUser bool, err error) {
	i := bytes.IndexByte(k, 0)
	if i < 0 {
		return "", "", "", false, ErrBadKey
	}
	first = string(k[:i])
	rest := k[i+1:]
	j := bytes.IndexByte(rest, 0)
	if j < 0 {
		return first, string(rest), "", false, nil
	}
	entry = string(rest[:j])
	u := rest[j+1:]
	if l := bytes.IndexByte(u, 0); l >= 0 {
		u = u[:l]
	}
	return first, entry, string(u), true, nil
}
