package sasldb

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Berkeley DB constants (db_page.h, hash.h of libdb 4.x/5.x).
const (
	hashMagic = 0x061561

	dbmetaSize  = 72 // generic meta header
	pageHdrSize = 26 // generic page header

	metaFlagChksum = 0x01 // DBMETA_CHKSUM in DBMETA.metaflags

	pageHashUnsorted = 2  // P_HASH_UNSORTED (hash version < 9)
	pageOverflow     = 7  // P_OVERFLOW
	pageHashMeta     = 8  // P_HASHMETA
	pageHash         = 13 // P_HASH (sorted, hash version >= 9)

	itemKeyData  = 1 // H_KEYDATA
	itemDup      = 2 // H_DUPLICATE
	itemOffpage  = 3 // H_OFFPAGE
	itemOffdup   = 4 // H_OFFDUP
	offpageSize  = 12
	numSpares    = 32
	minPageSize  = 512
	maxPageSize  = 64 * 1024
	minVersion   = 8
	maxVersion   = 10
	maxItemBytes = 16 << 20 // no sasldb value is anywhere near this
)

// MaxFileSize bounds what Parse accepts (a sasldb of a million users is
// far smaller).
const MaxFileSize = 1 << 30

// ErrFormat is wrapped by every error about the file's contents.
var ErrFormat = errors.New("not a readable Berkeley DB hash file")

// Pair is one key/data item of a Berkeley DB hash database.
type Pair struct {
	Key, Value []byte
}

type hashFile struct {
	data     []byte
	bo       binary.ByteOrder
	pageSize int
	npages   int
	overhead int // page header + checksum/crypto area: where the index starts
}

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// ReadHash returns every key/data pair of a Berkeley DB HASH database
// image, bucket by bucket. Databases with duplicate keys are refused
// (sasldb never makes them), so are encrypted ones.
func ReadHash(data []byte) ([]Pair, error) {
	if len(data) > MaxFileSize {
		return nil, formatErr("file of %d bytes is too large", len(data))
	}
	if len(data) < 512 {
		return nil, formatErr("file of %d bytes is shorter than a meta page", len(data))
	}
	var bo binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint32(data[12:]) == hashMagic:
		bo = binary.LittleEndian
	case binary.BigEndian.Uint32(data[12:]) == hashMagic:
		bo = binary.BigEndian
	default:
		return nil, formatErr("bad magic %#x (not a hash database)", binary.LittleEndian.Uint32(data[12:]))
	}
	version := bo.Uint32(data[16:])
	if version < minVersion || version > maxVersion {
		return nil, formatErr("hash version %d not supported (want %d..%d)", version, minVersion, maxVersion)
	}
	pageSize := int(bo.Uint32(data[20:]))
	if pageSize < minPageSize || pageSize > maxPageSize || pageSize&(pageSize-1) != 0 {
		return nil, formatErr("bad page size %d", pageSize)
	}
	if data[24] != 0 {
		return nil, formatErr("encrypted database (algorithm %d) not supported", data[24])
	}
	if data[25] != pageHashMeta {
		return nil, formatErr("meta page type %d, want %d", data[25], pageHashMeta)
	}
	h := &hashFile{data: data, bo: bo, pageSize: pageSize, npages: len(data) / pageSize, overhead: pageHdrSize}
	if data[26]&metaFlagChksum != 0 {
		// PG_CHKSUM: 2 unused bytes and a 4-byte checksum follow the header.
		h.overhead = pageHdrSize + 6
	}
	if len(data) < pageSize {
		return nil, formatErr("file shorter than one page")
	}
	maxBucket := bo.Uint32(data[dbmetaSize:])
	var spares [numSpares]uint32
	for i := range spares {
		spares[i] = bo.Uint32(data[dbmetaSize+24+4*i:])
	}
	if uint64(maxBucket) >= uint64(h.npages) {
		return nil, formatErr("max_bucket %d but only %d pages", maxBucket, h.npages)
	}

	var out []Pair
	seen := make([]bool, h.npages)
	for b := uint32(0); b <= maxBucket; b++ {
		lg := log2ceil(b + 1)
		if lg >= numSpares {
			return nil, formatErr("bucket %d out of range", b)
		}
		pg := uint64(b) + uint64(spares[lg])
		if pg >= uint64(h.npages) || h.unwritten(uint32(pg)) {
			// libdb allocates bucket pages lazily: a bucket whose page was
			// never written (past the end, or all zero) is empty.
			continue
		}
		for pg != 0 {
			if pg >= uint64(h.npages) {
				return nil, formatErr("bucket %d: page %d beyond end of file (%d pages)", b, pg, h.npages)
			}
			if seen[pg] {
				return nil, formatErr("bucket %d: page %d reached twice", b, pg)
			}
			seen[pg] = true
			next, err := h.readHashPage(uint32(pg), seen, &out)
			if err != nil {
				return nil, err
			}
			pg = uint64(next)
		}
	}
	return out, nil
}

// log2ceil is libdb's __db_log2: the smallest i with 2^i >= n.
func log2ceil(n uint32) uint32 {
	i := uint32(0)
	for limit := uint64(1); limit < uint64(n); limit <<= 1 {
		i++
	}
	return i
}

// unwritten reports a page that libdb reserved but never wrote: its
// header still says page 0 of type P_INVALID.
func (h *hashFile) unwritten(pg uint32) bool {
	p := h.page(pg)
	return pg != 0 && h.bo.Uint32(p[8:]) == 0 && p[25] == 0
}

func (h *hashFile) page(pg uint32) []byte {
	off := int(pg) * h.pageSize
	return h.data[off : off+h.pageSize]
}

// readHashPage appends the pairs of hash page pg and returns its next_pgno.
func (h *hashFile) readHashPage(pg uint32, seen []bool, out *[]Pair) (uint32, error) {
	p := h.page(pg)
	if got := h.bo.Uint32(p[8:]); got != pg {
		return 0, formatErr("page %d says it is page %d", pg, got)
	}
	typ := p[25]
	if typ != pageHash && typ != pageHashUnsorted {
		return 0, formatErr("page %d has type %d, want a hash page", pg, typ)
	}
	next := h.bo.Uint32(p[16:])
	entries := int(h.bo.Uint16(p[20:]))
	if entries%2 != 0 {
		return 0, formatErr("page %d: odd number of items %d", pg, entries)
	}
	if h.overhead+2*entries > h.pageSize {
		return 0, formatErr("page %d: %d items do not fit", pg, entries)
	}
	for i := 0; i < entries; i += 2 {
		k, err := h.item(p, pg, i, seen)
		if err != nil {
			return 0, err
		}
		v, err := h.item(p, pg, i+1, seen)
		if err != nil {
			return 0, err
		}
		*out = append(*out, Pair{Key: k, Value: v})
	}
	return next, nil
}

// item returns the bytes of item i of hash page p (pg is its number).
func (h *hashFile) item(p []byte, pg uint32, i int, seen []bool) ([]byte, error) {
	inp := func(j int) int { return int(h.bo.Uint16(p[h.overhead+2*j:])) }
	start := inp(i)
	end := h.pageSize
	if i > 0 {
		end = inp(i - 1)
	}
	if start < h.overhead || start >= end || end > h.pageSize {
		return nil, formatErr("page %d item %d: bad offsets %d..%d", pg, i, start, end)
	}
	it := p[start:end]
	switch it[0] {
	case itemKeyData:
		return append([]byte(nil), it[1:]...), nil
	case itemOffpage:
		if len(it) < offpageSize {
			return nil, formatErr("page %d item %d: short off-page reference", pg, i)
		}
		first := h.bo.Uint32(it[4:])
		total := h.bo.Uint32(it[8:])
		return h.overflow(first, total, seen)
	case itemDup, itemOffdup:
		return nil, formatErr("page %d item %d: duplicate data items are not supported", pg, i)
	default:
		return nil, formatErr("page %d item %d: unknown item type %d", pg, i, it[0])
	}
}

// overflow reads an item of total bytes stored on the chain from page first.
func (h *hashFile) overflow(first, total uint32, seen []bool) ([]byte, error) {
	if total > maxItemBytes {
		return nil, formatErr("overflow item of %d bytes", total)
	}
	buf := make([]byte, 0, total)
	pg := first
	for pg != 0 {
		if uint64(pg) >= uint64(h.npages) {
			return nil, formatErr("overflow page %d beyond end of file", pg)
		}
		if seen[pg] {
			return nil, formatErr("overflow page %d reached twice", pg)
		}
		seen[pg] = true
		p := h.page(pg)
		if p[25] != pageOverflow {
			return nil, formatErr("page %d has type %d, want overflow", pg, p[25])
		}
		if got := h.bo.Uint32(p[8:]); got != pg {
			return nil, formatErr("page %d says it is page %d", pg, got)
		}
		n := int(h.bo.Uint16(p[22:])) // hf_offset holds the bytes on this page
		if h.overhead+n > h.pageSize || len(buf)+n > int(total) {
			return nil, formatErr("overflow page %d: bad length %d", pg, n)
		}
		buf = append(buf, p[h.overhead:h.overhead+n]...)
		pg = h.bo.Uint32(p[16:])
	}
	if len(buf) != int(total) {
		return nil, formatErr("overflow chain from page %d holds %d bytes, want %d", first, len(buf), total)
	}
	return buf, nil
}
