package index

import (
	"hash/crc32"
)

// Cache item numbers (Cyrus CACHE_* in imap/mailbox.h), in entry order
// (spec/formats.md §7.2).
const (
	CacheEnvelope = iota
	CacheBodyStructure
	CacheBody
	CacheSection
	CacheHeaders
	CacheFrom
	CacheTo
	CacheCc
	CacheBcc
	CacheSubject
	NumCacheItems
)

// CacheItemNames are the names of the items, for messages.
var CacheItemNames = [NumCacheItems]string{
	"ENVELOPE", "BODYSTRUCTURE", "BODY", "SECTION", "HEADERS",
	"FROM", "TO", "CC", "BCC", "SUBJECT",
}

// CacheEntry is one parsed cyrus.cache entry: the 10 items, each a slice
// of the buffer it was parsed from (no copy).
type CacheEntry struct {
	Items [NumCacheItems][]byte
	// Len is the entry length in the file (length words, data, padding).
	Len int
	// Raw is the whole entry as it is in the file.
	Raw []byte
}

// Item returns item n (nil for an out-of-range n).
func (e *CacheEntry) Item(n int) []byte {
	if n < 0 || n >= NumCacheItems {
		return nil
	}
	return e.Items[n]
}

// pad4 is the length rounded up to the next multiple of 4.
func pad4(n int) int { return (n + 3) &^ 3 }

// EncodeCacheEntry frames items as Cyrus appends them to cyrus.cache: for
// each item a big-endian 32-bit length, the bytes, and zero padding to a
// multiple of 4.
func EncodeCacheEntry(items [NumCacheItems][]byte) []byte {
	n := 0
	for _, it := range items {
		n += 4 + pad4(len(it))
	}
	b := make([]byte, n)
	o := 0
	for _, it := range items {
		be.PutUint32(b[o:], uint32(len(it)))
		copy(b[o+4:], it)
		o += 4 + pad4(len(it))
	}
	return b
}

// CacheEntryLen returns the length of the entry that starts at b[0] by
// walking its 10 length words, or an error if b ends before the entry
// does. off is the file offset of b[0], for the error.
func CacheEntryLen(b []byte, off int64) (int, error) {
	o := 0
	for i := 0; i < NumCacheItems; i++ {
		if len(b)-o < 4 {
			return 0, &CorruptError{File: CacheFile, Offset: off + int64(o),
				Reason: "cache entry truncated before item " + CacheItemNames[i]}
		}
		l := int64(be.Uint32(b[o:]))
		next := int64(o) + 4 + (l+3)&^3
		if next > int64(len(b)) {
			return 0, &CorruptError{File: CacheFile, Offset: off + int64(o),
				Reason: "cache item " + CacheItemNames[i] + " of " + itoa(uint64(l)) + " bytes runs past the end"}
		}
		o = int(next)
	}
	return o, nil
}

// ParseCacheEntry parses the entry at the start of b (the bytes of the
// cache file from the record's cache_offset on) and checks its CRC
// against wantCRC. off is the file offset of b[0]. The items are slices
// of b.
func ParseCacheEntry(b []byte, off int64, wantCRC uint32) (CacheEntry, error) {
	var e CacheEntry
	n, err := CacheEntryLen(b, off)
	if err != nil {
		return e, err
	}
	if got := crc32.ChecksumIEEE(b[:n]); got != wantCRC {
		return e, &CorruptError{File: CacheFile, Offset: off,
			Reason: "cache entry CRC mismatch: record says " + hex8(wantCRC) + ", entry has " + hex8(got)}
	}
	o := 0
	for i := 0; i < NumCacheItems; i++ {
		l := int(be.Uint32(b[o:]))
		e.Items[i] = b[o+4 : o+4+l : o+4+l]
		o += 4 + pad4(l)
	}
	e.Len = n
	e.Raw = b[:n:n]
	return e, nil
}

// CacheCRC is the record's cache_crc of an encoded entry.
func CacheCRC(entry []byte) uint32 { return crc32.ChecksumIEEE(entry) }

// CacheFileHeaderSize is the 4-byte generation number at the start of
// cyrus.cache (spec/formats.md §7.1).
const CacheFileHeaderSize = 4

// CacheGeneration reads the generation at the start of a cache file.
func CacheGeneration(b []byte) (uint32, error) {
	if len(b) < CacheFileHeaderSize {
		return 0, corrupt(CacheFile, 0, "cache file shorter than its 4-byte generation")
	}
	return be.Uint32(b), nil
}

// CacheFileHeader returns the first 4 bytes of a new cache file.
func CacheFileHeader(generation uint32) []byte {
	b := make([]byte, 4)
	be.PutUint32(b, generation)
	return b
}
