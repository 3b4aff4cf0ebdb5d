package index

import (
	"encoding/hex"
	"hash/crc32"
	"strconv"
)

// Seeds of the two sync CRCs (Cyrus CRC_INIT_BASIC and CRC_INIT_ANNOT).
const (
	CRCInitBasic uint32 = 0
	CRCInitAnnot uint32 = 12345678
)

// Names of the per-message "virtual" annotations that live in the index
// record instead of cyrus.annotations (spec/formats.md §6.5).
const (
	AnnotNS               = "/vendor/cmu/cyrus-imapd/"
	AnnotThrID            = AnnotNS + "thrid"
	AnnotSaveDate         = AnnotNS + "savedate"
	AnnotCreatedModSeq    = AnnotNS + "createdmodseq"
	AnnotBaseThrID        = AnnotNS + "basethrid"
	OwnerToken            = "[.OwNeR.]"
	maxLowerBuf           = 4095
	systemFlagCRCSeenName = `\seen`
)

// IsVirtualAnnotation reports whether entry is stored in the index
// record, so that it does not count in the annotation sync CRC.
func IsVirtualAnnotation(entry string) bool {
	return entry == AnnotThrID || entry == AnnotSaveDate || entry == AnnotCreatedModSeq
}

// CRCBasic is the record's contribution to synccrcs.basic: 0 for an
// expunged record, else the CRC32 of
// "<uid> <modseq> <last_updated> (<flagcrc>) <internaldate> <guid-hex>".
// flagNames are the mailbox's user flag names by slot.
func CRCBasic(r *Record, flagNames *[MaxUserFlags]string) uint32 {
	if r.Expunged() {
		return 0
	}
	var flagcrc uint32
	if r.SystemFlags&FlagDeleted != 0 {
		flagcrc ^= crc32.ChecksumIEEE([]byte(`\deleted`))
	}
	if r.SystemFlags&FlagAnswered != 0 {
		flagcrc ^= crc32.ChecksumIEEE([]byte(`\answered`))
	}
	if r.SystemFlags&FlagFlagged != 0 {
		flagcrc ^= crc32.ChecksumIEEE([]byte(`\flagged`))
	}
	if r.SystemFlags&FlagDraft != 0 {
		flagcrc ^= crc32.ChecksumIEEE([]byte(`\draft`))
	}
	if r.SystemFlags&FlagSeen != 0 {
		flagcrc ^= crc32.ChecksumIEEE([]byte(systemFlagCRCSeenName))
	}
	var lb []byte
	for n := 0; n < MaxUserFlags; n++ {
		if flagNames[n] == "" || !r.HasUserFlag(n) {
			continue
		}
		name := flagNames[n]
		if len(name) > maxLowerBuf { // Cyrus copies into a 4096-byte buffer
			name = name[:maxLowerBuf]
		}
		lb = append(lb[:0], name...)
		for i, c := range lb {
			if 'A' <= c && c <= 'Z' {
				lb[i] = c + 'a' - 'A'
			}
		}
		flagcrc ^= crc32.ChecksumIEEE(lb)
	}
	b := make([]byte, 0, 128)
	b = strconv.AppendUint(b, uint64(r.UID), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, r.ModSeq, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(r.LastUpdated), 10)
	b = append(b, " ("...)
	b = strconv.AppendUint(b, uint64(flagcrc), 10)
	b = append(b, ") "...)
	b = strconv.AppendUint(b, uint64(r.InternalDate), 10)
	b = append(b, ' ')
	b = hex.AppendEncode(b, r.GUID[:])
	return crc32.ChecksumIEEE(b)
}

// CRCAnnot is one annotation's contribution to synccrcs.annot: CRC32 of
// "<uid> <entry> <userid> " followed by the raw value; 0 for an empty
// value.
func CRCAnnot(uid uint32, entry, userid string, value []byte) uint32 {
	if len(value) == 0 {
		return 0
	}
	b := make([]byte, 0, 64+len(entry)+len(userid)+len(value))
	b = strconv.AppendUint(b, uint64(uid), 10)
	b = append(b, ' ')
	b = append(b, entry...)
	b = append(b, ' ')
	b = append(b, userid...)
	b = append(b, ' ')
	b = append(b, value...)
	return crc32.ChecksumIEEE(b)
}

// CRCVirtAnnot is the record's contribution to synccrcs.annot from its
// virtual annotations (thrid, savedate, createdmodseq), 0 when expunged.
func CRCVirtAnnot(r *Record) uint32 {
	if r.Expunged() {
		return 0
	}
	var crc uint32
	if r.CID != 0 {
		crc ^= CRCAnnot(r.UID, AnnotThrID, "", strconv.AppendUint(nil, r.CID, 16))
	}
	if r.SaveDate != 0 {
		crc ^= CRCAnnot(r.UID, AnnotSaveDate, "", strconv.AppendUint(nil, uint64(r.SaveDate), 10))
	}
	if r.CreatedModSeq != 0 {
		crc ^= CRCAnnot(r.UID, AnnotCreatedModSeq, "", strconv.AppendUint(nil, r.CreatedModSeq, 10))
	}
	return crc
}
