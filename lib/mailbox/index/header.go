package index

import (
	"encoding/binary"
	"hash/crc32"
)

// Sizes of minor version 16 and 17 (spec/formats.md §6).
const (
	MinorVersion = 17 // what Gyrus writes for new mailboxes
	HeaderSize   = 160
	RecordSize   = 112
	CacheVersion = 11
)

// Header is the 160-byte cyrus.index header (spec/formats.md §6.1).
type Header struct {
	Generation         uint32
	Format             uint32
	MinorVersion       uint32
	StartOffset        uint32
	RecordSize         uint32
	NumRecords         uint32
	LastAppendDate     uint32
	LastUID            uint32
	QuotaMailboxUsed   uint64
	POP3LastLogin      uint32
	UIDValidity        uint32
	Deleted            uint32
	Answered           uint32
	Flagged            uint32
	Options            uint32
	LeakedCacheRecords uint32
	HighestModSeq      uint64
	DeletedModSeq      uint64
	Exists             uint32
	FirstExpunged      uint32
	LastRepackTime     uint32
	HeaderFileCRC      uint32
	SyncCRCBasic       uint32
	RecentUID          uint32
	RecentTime         uint32
	POP3ShowAfter      uint32
	QuotaAnnotUsed     uint32
	SyncCRCAnnot       uint32
	Unseen             uint32
	CreatedModSeq      uint64
	ChangesEpoch       uint32
}

// Field offsets inside the header.
const (
	offGeneration     = 0
	offFormat         = 4
	offMinorVersion   = 8
	offStartOffset    = 12
	offRecordSize     = 16
	offNumRecords     = 20
	offLastAppendDate = 24
	offLastUID        = 28
	offQuotaUsed      = 32
	offPOP3LastLogin  = 40
	offUIDValidity    = 44
	offDeleted        = 48
	offAnswered       = 52
	offFlagged        = 56
	offOptions        = 60
	offLeaked         = 64
	offHighestModSeq  = 68
	offDeletedModSeq  = 76
	offExists         = 84
	offFirstExpunged  = 88
	offLastRepack     = 92
	offHeaderFileCRC  = 96
	offSyncBasic      = 100
	offRecentUID      = 104
	offRecentTime     = 108
	offPOP3ShowAfter  = 112
	offQuotaAnnot     = 116
	offSyncAnnot      = 120
	offUnseen         = 124
	offCreatedModSeq  = 128
	offChangesEpoch   = 136
	offHeaderCRC      = 156
)

var be = binary.BigEndian

// NewHeader returns the header of a new, empty mailbox as Cyrus's
// mailbox_create writes it.
func NewHeader(uidvalidity uint32, highestModSeq, createdModSeq uint64, options uint32, now uint32) Header {
	if highestModSeq == 0 {
		highestModSeq = 1
	}
	if createdModSeq == 0 || createdModSeq > highestModSeq {
		createdModSeq = highestModSeq
	}
	return Header{
		MinorVersion:  MinorVersion,
		StartOffset:   HeaderSize,
		RecordSize:    RecordSize,
		UIDValidity:   uidvalidity,
		Options:       options,
		HighestModSeq: highestModSeq,
		CreatedModSeq: createdModSeq,
		ChangesEpoch:  now,
		SyncCRCBasic:  CRCInitBasic,
		SyncCRCAnnot:  CRCInitAnnot,
	}
}

// ParseHeader decodes and checks an index header. b must hold at least
// the header (160 bytes for versions 16 and 17). Only versions 16 and 17
// are read (their records are 112 bytes); older files need Cyrus's
// `reconstruct -V max` first.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < offNumRecords+4 {
		return h, corrupt(IndexFile, int64(len(b)), "file too short for a header (%d bytes)", len(b))
	}
	h.MinorVersion = be.Uint32(b[offMinorVersion:])
	if h.MinorVersion != 16 && h.MinorVersion != 17 {
		return h, &CorruptError{File: IndexFile, Offset: offMinorVersion,
			Reason: "minor version " + itoa(uint64(h.MinorVersion)) + " not supported (need 16 or 17: run reconstruct -V max)"}
	}
	if len(b) < HeaderSize {
		return h, corrupt(IndexFile, int64(len(b)), "file too short for a version %d header (%d bytes)", h.MinorVersion, len(b))
	}
	if got, want := crc32.ChecksumIEEE(b[:offHeaderCRC]), be.Uint32(b[offHeaderCRC:]); got != want {
		return h, corrupt(IndexFile, offHeaderCRC, "header CRC mismatch: stored %08x, computed %08x", want, got)
	}
	h.Generation = be.Uint32(b[offGeneration:])
	h.Format = be.Uint32(b[offFormat:])
	h.StartOffset = be.Uint32(b[offStartOffset:])
	h.RecordSize = be.Uint32(b[offRecordSize:])
	h.NumRecords = be.Uint32(b[offNumRecords:])
	h.LastAppendDate = be.Uint32(b[offLastAppendDate:])
	h.LastUID = be.Uint32(b[offLastUID:])
	h.QuotaMailboxUsed = be.Uint64(b[offQuotaUsed:])
	h.POP3LastLogin = be.Uint32(b[offPOP3LastLogin:])
	h.UIDValidity = be.Uint32(b[offUIDValidity:])
	h.Deleted = be.Uint32(b[offDeleted:])
	h.Answered = be.Uint32(b[offAnswered:])
	h.Flagged = be.Uint32(b[offFlagged:])
	h.Options = be.Uint32(b[offOptions:])
	h.LeakedCacheRecords = be.Uint32(b[offLeaked:])
	h.HighestModSeq = be.Uint64(b[offHighestModSeq:])
	h.DeletedModSeq = be.Uint64(b[offDeletedModSeq:])
	h.Exists = be.Uint32(b[offExists:])
	h.FirstExpunged = be.Uint32(b[offFirstExpunged:])
	h.LastRepackTime = be.Uint32(b[offLastRepack:])
	h.HeaderFileCRC = be.Uint32(b[offHeaderFileCRC:])
	h.SyncCRCBasic = be.Uint32(b[offSyncBasic:])
	h.RecentUID = be.Uint32(b[offRecentUID:])
	h.RecentTime = be.Uint32(b[offRecentTime:])
	h.POP3ShowAfter = be.Uint32(b[offPOP3ShowAfter:])
	h.QuotaAnnotUsed = be.Uint32(b[offQuotaAnnot:])
	h.SyncCRCAnnot = be.Uint32(b[offSyncAnnot:])
	h.Unseen = be.Uint32(b[offUnseen:])
	h.CreatedModSeq = be.Uint64(b[offCreatedModSeq:])
	if h.MinorVersion >= 17 {
		h.ChangesEpoch = be.Uint32(b[offChangesEpoch:])
	}
	if h.StartOffset < HeaderSize || h.StartOffset > 1<<20 {
		return h, corrupt(IndexFile, offStartOffset, "bad start_offset %d", h.StartOffset)
	}
	if h.RecordSize != RecordSize {
		return h, corrupt(IndexFile, offRecordSize, "record_size %d, version %d records are %d bytes", h.RecordSize, h.MinorVersion, RecordSize)
	}
	if h.Format != 0 {
		return h, corrupt(IndexFile, offFormat, "format %d (only 0, normal, exists)", h.Format)
	}
	return h, nil
}

// Marshal writes h into b[:HeaderSize] with its CRC (and the options
// masked to the valid bits and Gyrus's OptGyrusCommitting, the spare
// words zero).
func (h *Header) Marshal(b []byte) {
	b = b[:HeaderSize]
	clear(b)
	be.PutUint32(b[offGeneration:], h.Generation)
	be.PutUint32(b[offFormat:], h.Format)
	be.PutUint32(b[offMinorVersion:], h.MinorVersion)
	be.PutUint32(b[offStartOffset:], h.StartOffset)
	be.PutUint32(b[offRecordSize:], h.RecordSize)
	be.PutUint32(b[offNumRecords:], h.NumRecords)
	be.PutUint32(b[offLastAppendDate:], h.LastAppendDate)
	be.PutUint32(b[offLastUID:], h.LastUID)
	be.PutUint64(b[offQuotaUsed:], h.QuotaMailboxUsed)
	be.PutUint32(b[offPOP3LastLogin:], h.POP3LastLogin)
	be.PutUint32(b[offUIDValidity:], h.UIDValidity)
	be.PutUint32(b[offDeleted:], h.Deleted)
	be.PutUint32(b[offAnswered:], h.Answered)
	be.PutUint32(b[offFlagged:], h.Flagged)
	be.PutUint32(b[offOptions:], h.Options&(OptionsValid|OptGyrusCommitting))
	be.PutUint32(b[offLeaked:], h.LeakedCacheRecords)
	be.PutUint64(b[offHighestModSeq:], h.HighestModSeq)
	be.PutUint64(b[offDeletedModSeq:], h.DeletedModSeq)
	be.PutUint32(b[offExists:], h.Exists)
	be.PutUint32(b[offFirstExpunged:], h.FirstExpunged)
	be.PutUint32(b[offLastRepack:], h.LastRepackTime)
	be.PutUint32(b[offHeaderFileCRC:], h.HeaderFileCRC)
	be.PutUint32(b[offSyncBasic:], h.SyncCRCBasic)
	be.PutUint32(b[offRecentUID:], h.RecentUID)
	be.PutUint32(b[offRecentTime:], h.RecentTime)
	be.PutUint32(b[offPOP3ShowAfter:], h.POP3ShowAfter)
	be.PutUint32(b[offQuotaAnnot:], h.QuotaAnnotUsed)
	be.PutUint32(b[offSyncAnnot:], h.SyncCRCAnnot)
	be.PutUint32(b[offUnseen:], h.Unseen)
	be.PutUint64(b[offCreatedModSeq:], h.CreatedModSeq)
	if h.MinorVersion >= 17 {
		be.PutUint32(b[offChangesEpoch:], h.ChangesEpoch)
	}
	be.PutUint32(b[offHeaderCRC:], crc32.ChecksumIEEE(b[:offHeaderCRC]))
}

// Bytes returns the marshalled header.
func (h *Header) Bytes() []byte {
	b := make([]byte, HeaderSize)
	h.Marshal(b)
	return b
}

// RecordOffset is the file offset of record recno (1-based).
func (h *Header) RecordOffset(recno uint32) int64 {
	return int64(h.StartOffset) + int64(recno-1)*int64(h.RecordSize)
}

// FileSize is the size the index file must at least have for h.
func (h *Header) FileSize() int64 {
	return int64(h.StartOffset) + int64(h.NumRecords)*int64(h.RecordSize)
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
