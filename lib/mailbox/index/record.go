package index

import (
	"encoding/hex"
	"hash/crc32"
)

// Record is one 112-byte cyrus.index record (spec/formats.md §6.2).
type Record struct {
	UID           uint32
	InternalDate  uint32
	SentDate      uint32
	Size          uint32
	HeaderSize    uint32
	GMTime        uint32
	CacheOffset   uint64 // 48 bits used
	LastUpdated   uint32
	SystemFlags   uint32 // low 16 bits of the flag word
	InternalFlags uint32 // high 16 bits of the flag word
	UserFlags     [4]uint32
	SaveDate      uint32
	CacheVersion  uint16
	GUID          [20]byte
	ModSeq        uint64
	CID           uint64
	CreatedModSeq uint64
	CacheCRC      uint32
}

// Record field offsets.
const (
	roUID          = 0
	roInternalDate = 4
	roSentDate     = 8
	roSize         = 12
	roHeaderSize   = 16
	roGMTime       = 20
	roCacheOffset  = 24
	roLastUpdated  = 28
	roFlags        = 32
	roUserFlags    = 36
	roSaveDate     = 52
	roCacheVersion = 56
	roGUID         = 60
	roModSeq       = 80
	roCID          = 88
	roCreatedMod   = 96
	roCacheCRC     = 104
	roRecordCRC    = 108
)

// RecordModSeqOffset and RecordUIDOffset let a scanner read these fields
// of a record in place without decoding it.
const (
	RecordModSeqOffset = roModSeq
	RecordUIDOffset    = roUID
	RecordFlagsOffset  = roFlags
)

// ParseRecord decodes and checks the record at b[:RecordSize]. recno and
// off are only used to name the record in errors.
func ParseRecord(b []byte, recno uint32, off int64) (Record, error) {
	var r Record
	if len(b) < RecordSize {
		return r, &CorruptError{File: IndexFile, Offset: off, Record: recno, Reason: "record truncated"}
	}
	r.UID = be.Uint32(b[roUID:])
	if got, want := crc32.ChecksumIEEE(b[:roRecordCRC]), be.Uint32(b[roRecordCRC:]); got != want {
		return r, &CorruptError{File: IndexFile, Offset: off, Record: recno, UID: r.UID,
			Reason: "record CRC mismatch: stored " + hex8(want) + ", computed " + hex8(got)}
	}
	decodeRecord(b, &r)
	return r, nil
}

// ParseRecordNoCRC decodes a record without checking its CRC (used only
// to describe damage and by tools that repair it).
func ParseRecordNoCRC(b []byte) Record {
	var r Record
	if len(b) >= RecordSize {
		r.UID = be.Uint32(b[roUID:])
		decodeRecord(b, &r)
	}
	return r
}

func decodeRecord(b []byte, r *Record) {
	r.InternalDate = be.Uint32(b[roInternalDate:])
	r.SentDate = be.Uint32(b[roSentDate:])
	r.Size = be.Uint32(b[roSize:])
	r.HeaderSize = be.Uint32(b[roHeaderSize:])
	r.GMTime = be.Uint32(b[roGMTime:])
	lo := uint64(be.Uint32(b[roCacheOffset:]))
	r.LastUpdated = be.Uint32(b[roLastUpdated:])
	fl := be.Uint32(b[roFlags:])
	r.SystemFlags = fl & 0x0000ffff
	r.InternalFlags = fl & 0xffff0000
	for i := range r.UserFlags {
		r.UserFlags[i] = be.Uint32(b[roUserFlags+4*i:])
	}
	r.SaveDate = be.Uint32(b[roSaveDate:])
	cv := uint64(be.Uint32(b[roCacheVersion:]))
	r.CacheVersion = uint16(cv & 0xffff)
	r.CacheOffset = lo | (cv&0xffff0000)<<16
	copy(r.GUID[:], b[roGUID:roGUID+20])
	r.ModSeq = be.Uint64(b[roModSeq:])
	r.CID = be.Uint64(b[roCID:])
	r.CreatedModSeq = be.Uint64(b[roCreatedMod:])
	r.CacheCRC = be.Uint32(b[roCacheCRC:])
}

// Marshal writes r into b[:RecordSize] with its CRC.
func (r *Record) Marshal(b []byte) {
	b = b[:RecordSize]
	clear(b)
	be.PutUint32(b[roUID:], r.UID)
	be.PutUint32(b[roInternalDate:], r.InternalDate)
	be.PutUint32(b[roSentDate:], r.SentDate)
	be.PutUint32(b[roSize:], r.Size)
	be.PutUint32(b[roHeaderSize:], r.HeaderSize)
	be.PutUint32(b[roGMTime:], r.GMTime)
	be.PutUint32(b[roCacheOffset:], uint32(r.CacheOffset))
	be.PutUint32(b[roLastUpdated:], r.LastUpdated)
	be.PutUint32(b[roFlags:], r.SystemFlags&0xffff|r.InternalFlags&0xffff0000)
	for i, w := range r.UserFlags {
		be.PutUint32(b[roUserFlags+4*i:], w)
	}
	be.PutUint32(b[roSaveDate:], r.SaveDate)
	be.PutUint32(b[roCacheVersion:], uint32(r.CacheVersion)|uint32((r.CacheOffset&0xffff00000000)>>16))
	copy(b[roGUID:], r.GUID[:])
	be.PutUint64(b[roModSeq:], r.ModSeq)
	be.PutUint64(b[roCID:], r.CID)
	be.PutUint64(b[roCreatedMod:], r.CreatedModSeq)
	be.PutUint32(b[roCacheCRC:], r.CacheCRC)
	be.PutUint32(b[roRecordCRC:], crc32.ChecksumIEEE(b[:roRecordCRC]))
}

// Bytes returns the marshalled record.
func (r *Record) Bytes() []byte {
	b := make([]byte, RecordSize)
	r.Marshal(b)
	return b
}

// Expunged reports the EXPUNGED internal flag.
func (r *Record) Expunged() bool { return r.InternalFlags&InternalExpunged != 0 }

// Unlinked reports the UNLINKED internal flag (message file gone).
func (r *Record) Unlinked() bool { return r.InternalFlags&InternalUnlinked != 0 }

// HasUserFlag reports whether user flag slot n is set.
func (r *Record) HasUserFlag(n int) bool {
	return n >= 0 && n < MaxUserFlags && r.UserFlags[n/32]&(1<<(n%32)) != 0
}

// SetUserFlag sets or clears user flag slot n.
func (r *Record) SetUserFlag(n int, on bool) {
	if n < 0 || n >= MaxUserFlags {
		return
	}
	if on {
		r.UserFlags[n/32] |= 1 << (n % 32)
	} else {
		r.UserFlags[n/32] &^= 1 << (n % 32)
	}
}

// GUIDHex is the GUID as 40 lowercase hex digits.
func (r *Record) GUIDHex() string { return hex.EncodeToString(r.GUID[:]) }

func hex8(v uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b[:])
}

// RecordUID reads the UID of the record at b without decoding it.
func RecordUID(b []byte) uint32 { return be.Uint32(b[roUID:]) }

// RecordModSeq reads the modseq of the record at b without decoding it.
func RecordModSeq(b []byte) uint64 { return be.Uint64(b[roModSeq:]) }
