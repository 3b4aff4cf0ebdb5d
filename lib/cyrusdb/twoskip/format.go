package twoskip

import (
	"encoding/binary"
	"hash/crc32"

	"gyrus/lib/cyrusdb"
)

// On-disk constants (formats.md §10.2, Cyrus lib/cyrusdb_twoskip.c).
const (
	headerSize  = 64
	dummyOffset = headerSize
	maxLevel    = 31 // DUMMY has maxLevel+1 pointers
	version     = 1
	blockSize   = 512
	// minRewrite: no automatic checkpoint below this current_size
	// (Cyrus's MINREWRITE, 16834 — sic).
	minRewrite = 16834

	offVersion     = 20
	offGeneration  = 24
	offNumRecords  = 32
	offRepackSize  = 40
	offCurrentSize = 48
	offFlags       = 56
	offCRC         = 60

	flagDirty = 1
	// flagTxn is ours (Cyrus keeps flag bits it does not know and
	// ignores them): set with DIRTY by every transaction of Gyrus before
	// it writes anything, cleared by its commit. A DIRTY file without
	// it, left by a deferred commit, is consistent (defer.go).
	flagTxn = 2

	typeDummy  = '='
	typeRecord = '+'
	typeDelete = '-'
	typeCommit = '$'
)

var blank = []byte(" BLANK\x07\xa0")

var be = binary.BigEndian

// crc is the CRC-32 (IEEE) of b, as zlib's crc32 that Cyrus uses. The
// standard library's CLMUL code is used from 64 bytes on; below that it
// falls back to a slicing-by-8 loop that ends byte by byte, slower than
// this one on what we mostly hash: record heads and key+value tails,
// multiples of 8 bytes shorter than 64.
func crc(b []byte) uint32 {
	if len(b) >= 64 {
		return crc32.ChecksumIEEE(b)
	}
	t := &crcTable
	c := ^uint32(0)
	for len(b) >= 8 {
		c ^= binary.LittleEndian.Uint32(b)
		c = t[0][b[7]] ^ t[1][b[6]] ^ t[2][b[5]] ^ t[3][b[4]] ^
			t[4][c>>24] ^ t[5][c>>16&0xFF] ^ t[6][c>>8&0xFF] ^ t[7][c&0xFF]
		b = b[8:]
	}
	for _, x := range b {
		c = t[0][byte(c)^x] ^ c>>8
	}
	return ^c
}

// crcTable is the slicing-by-8 table of the reflected IEEE polynomial.
var crcTable = func() (t [8][256]uint32) {
	for i := range 256 {
		c := uint32(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ crc32.IEEE
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 8; k++ {
		for i := range 256 {
			t[k][i] = t[k-1][i]>>8 ^ t[0][t[k-1][i]&0xFF]
		}
	}
	return t
}()

type header struct {
	version     uint32
	flags       uint32
	generation  uint64
	numRecords  uint64
	repackSize  uint64
	currentSize uint64
}

// encode writes the header into b (headerSize bytes) with its CRC.
func (h *header) encode(b []byte) {
	copy(b, cyrusdb.MagicTwoskip)
	be.PutUint32(b[offVersion:], h.version)
	be.PutUint64(b[offGeneration:], h.generation)
	be.PutUint64(b[offNumRecords:], h.numRecords)
	be.PutUint64(b[offRepackSize:], h.repackSize)
	be.PutUint64(b[offCurrentSize:], h.currentSize)
	be.PutUint32(b[offFlags:], h.flags)
	be.PutUint32(b[offCRC:], crc(b[:offCRC]))
}

// record is one parsed record. Its pointers are read live from the file
// (ptr), so a rewrite of the record is seen.
type record struct {
	off     uint64 // 0 = no record (end of list)
	typ     byte
	level   uint8
	keylen  uint64
	vallen  uint64
	ptrOff  uint64 // file offset of ptr[0]
	crcHead uint32
	crcTail uint32
	keyOff  uint64
	length  uint64 // whole record including padding
}

func roundup8(n uint64) uint64 { return (n + 7) &^ 7 }

// headLen is the size of a record's head (everything before the key) for
// the given level and lengths.
func headLen(level uint8, keylen, vallen uint64) uint64 {
	n := uint64(8)
	if keylen >= 0xFFFF {
		n += 8
	}
	if vallen >= 0xFFFFFFFF {
		n += 8
	}
	return n + 8*(uint64(level)+1) + 8
}

// maxHeadLen is the largest record head: 64-bit key and value lengths
// and maxLevel+1 pointers.
const maxHeadLen = 8 + 16 + 8*(maxLevel+1) + 8

// putHead fills b (headLen bytes) with a record head and its crc32_head;
// crcTail is stored as given. Missing pointers are zero.
func putHead(b []byte, typ byte, level uint8, keylen, vallen uint64, ptrs []uint64, crcTail uint32) {
	b[0] = typ
	b[1] = level
	n := 8
	if keylen < 0xFFFF {
		be.PutUint16(b[2:], uint16(keylen))
	} else {
		be.PutUint16(b[2:], 0xFFFF)
		be.PutUint64(b[n:], keylen)
		n += 8
	}
	if vallen < 0xFFFFFFFF {
		be.PutUint32(b[4:], uint32(vallen))
	} else {
		be.PutUint32(b[4:], 0xFFFFFFFF)
		be.PutUint64(b[n:], vallen)
		n += 8
	}
	for i := 0; i <= int(level); i++ {
		var p uint64
		if i < len(ptrs) {
			p = ptrs[i]
		}
		be.PutUint64(b[n:], p)
		n += 8
	}
	be.PutUint32(b[n:], crc(b[:n]))
	be.PutUint32(b[n+4:], crcTail)
}
