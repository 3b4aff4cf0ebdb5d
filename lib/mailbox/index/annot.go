package index

import (
	"bytes"
	"strconv"
)

// Per-message annotations live in the mailbox's cyrus.annotations, a
// twoskip database (spec/formats.md §11.5).

// AnnotDeleted is the flag bit of a tombstone (the value is empty).
const AnnotDeleted = 1

// AnnotationKey is "<uid>\0<entry>\0<userid>\0".
func AnnotationKey(uid uint32, entry, userid string) []byte {
	b := make([]byte, 0, 16+len(entry)+len(userid))
	b = strconv.AppendUint(b, uint64(uid), 10)
	b = append(b, 0)
	b = append(b, entry...)
	b = append(b, 0)
	b = append(b, userid...)
	return append(b, 0)
}

// AnnotationPrefix is the key prefix of every annotation of uid.
func AnnotationPrefix(uid uint32) []byte {
	return append(strconv.AppendUint(nil, uint64(uid), 10), 0)
}

// ParseAnnotationKey splits a cyrus.annotations key.
func ParseAnnotationKey(k []byte) (uid uint32, entry, userid string, err error) {
	parts := bytes.SplitN(k, []byte{0}, 4)
	if len(parts) != 4 || len(parts[3]) != 0 {
		return 0, "", "", corrupt(AnnotationsFile, 0, "bad key %q", k)
	}
	n, perr := strconv.ParseUint(string(parts[0]), 10, 32)
	if perr != nil {
		return 0, "", "", corrupt(AnnotationsFile, 0, "bad uid in key %q", k)
	}
	return uint32(n), string(parts[1]), string(parts[2]), nil
}

// AnnotationValue is a decoded cyrus.annotations value.
type AnnotationValue struct {
	Value   []byte
	ModSeq  uint64
	Flags   byte
	Deleted bool
}

// EncodeAnnotationValue builds a value as Cyrus 3.6.1 on 64-bit Linux
// writes it: the length as a big-endian uint32 in an 8-byte native
// unsigned long (4 length bytes then 4 zero bytes), the value, NUL,
// "text/plain" NUL, 8 zero bytes, the 8-byte big-endian modseq, one flag
// byte.
func EncodeAnnotationValue(value []byte, modseq uint64, flags byte) []byte {
	b := make([]byte, 0, 8+len(value)+1+11+8+8+1)
	var l [8]byte
	be.PutUint32(l[:4], uint32(len(value)))
	b = append(b, l[:]...)
	b = append(b, value...)
	b = append(b, 0)
	b = append(b, "text/plain"...)
	b = append(b, 0)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	var m [8]byte
	be.PutUint64(m[:], modseq)
	b = append(b, m[:]...)
	return append(b, flags)
}

// ParseAnnotationValue decodes a value written by Cyrus or by
// EncodeAnnotationValue. Like Cyrus it tolerates values without the
// legacy content-type, modseq or flags parts.
func ParseAnnotationValue(b []byte) (AnnotationValue, error) {
	var v AnnotationValue
	if len(b) < 8 {
		return v, corrupt(AnnotationsFile, 0, "value of %d bytes is shorter than its length field", len(b))
	}
	n := int64(be.Uint32(b))
	if n > int64(len(b)-8) {
		return v, corrupt(AnnotationsFile, 0, "value length %d exceeds the %d bytes stored", n, len(b)-8)
	}
	v.Value = b[8 : 8+n]
	t := 8 + int(n) + 1 // skip NUL
	if t < len(b) {
		if z := bytes.IndexByte(b[t:], 0); z >= 0 {
			t += z + 1
		} else {
			t = len(b)
		}
		t += 8 // legacy modifiedsince
	}
	if t+8 <= len(b) {
		v.ModSeq = be.Uint64(b[t:])
		t += 8
	}
	if t < len(b) {
		v.Flags = b[t]
	}
	if v.Flags&AnnotDeleted != 0 {
		v.Deleted = true
		v.Value = nil
	}
	return v, nil
}
