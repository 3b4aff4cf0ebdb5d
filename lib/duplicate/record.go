package duplicate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Key names one record: the message, where it went, and its date
// (Cyrus duplicate_key_t).
type Key struct {
	ID   string // Message-ID (or a Sieve tracking id)
	To   string // mailbox uniqueid, or ".<id>.sieve." style identifiers
	Date string // Date header
}

// Record is one entry of the database.
type Record struct {
	Key
	Mark int64  // when it was delivered (Unix seconds)
	UID  uint64 // the UID it got (0 for Sieve records and old records)
}

// ErrBadKey is a key that is not three NUL-terminated strings.
var ErrBadKey = errors.New("duplicate: key is not three NUL-terminated strings")

// ErrBadValue is a value that is neither 8 nor 16 bytes.
var ErrBadValue = errors.New("duplicate: value is neither 8 nor 16 bytes")

// Bytes is the database key: id NUL to NUL date NUL (Cyrus make_key).
// A string with a NUL in it cuts the field there, as C strings do.
func (k Key) Bytes() []byte {
	b := make([]byte, 0, len(k.ID)+len(k.To)+len(k.Date)+3)
	for _, s := range [3]string{k.ID, k.To, k.Date} {
		if i := indexNUL(s); i >= 0 {
			s = s[:i]
		}
		b = append(b, s...)
		b = append(b, 0)
	}
	return b
}

func indexNUL(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// ParseKey splits a database key (Cyrus split_key): it must end with a
// NUL and hold exactly three NUL-terminated strings (empty ones allowed).
func ParseKey(b []byte) (Key, error) {
	if len(b) == 0 || b[len(b)-1] != 0 {
		return Key{}, ErrBadKey
	}
	var f [3]string
	n := 0
	for p := 0; p < len(b); {
		if n == 3 {
			return Key{}, ErrBadKey
		}
		e := bytes.IndexByte(b[p:], 0) // found: b ends with NUL
		f[n] = string(b[p : p+e])
		n++
		p += e + 1
	}
	if n != 3 {
		return Key{}, ErrBadKey
	}
	return Key{ID: f[0], To: f[1], Date: f[2]}, nil
}

// ValueSize is the size of a value as Cyrus 3.6 writes it on x86-64:
// time_t mark + unsigned long uid.
const ValueSize = 16

// EncodeValue is the stored value: mark and uid, 8 bytes each,
// little-endian (Cyrus copies its x86-64 in-memory integers).
func EncodeValue(mark int64, uid uint64) []byte {
	b := make([]byte, ValueSize)
	binary.LittleEndian.PutUint64(b, uint64(mark))
	binary.LittleEndian.PutUint64(b[8:], uid)
	return b
}

// DecodeValue reads a value: 16 bytes (mark, uid) or the 8 bytes of
// records written before UIDs were stored (uid 0).
func DecodeValue(b []byte) (mark int64, uid uint64, err error) {
	switch len(b) {
	case 8:
		return int64(binary.LittleEndian.Uint64(b)), 0, nil
	case 16:
		return int64(binary.LittleEndian.Uint64(b)), binary.LittleEndian.Uint64(b[8:]), nil
	}
	return 0, 0, fmt.Errorf("%w (%d bytes)", ErrBadValue, len(b))
}

// DecodeRecord reads a key and its value.
func DecodeRecord(key, val []byte) (Record, error) {
	k, err := ParseKey(key)
	if err != nil {
		return Record{}, err
	}
	mark, uid, err := DecodeValue(val)
	if err != nil {
		return Record{}, err
	}
	return Record{Key: k, Mark: mark, UID: uid}, nil
}

// IsMailbox reports whether a record is about a mailbox delivery (its
// "to" is a mailbox id) rather than Sieve tracking ("to" starts with '.').
func (k Key) IsMailbox() bool { return len(k.To) == 0 || k.To[0] != '.' }
