package twoskip

import (
	"fmt"
	"slices"

	"golang.org/x/sys/unix"

	"gyrus/lib/cyrusdb"
)

// How bytes move between the file and this process: see doc.go, "I/O".
// In short: reads come from a shared mapping; appends collect in wbuf
// (file offsets [size, size+len(wbuf))) and go out with one pwrite;
// heads past current_size are edited in memory, committed heads with one
// pwrite each.

const (
	pageSize = 4096
	// keepBuf: a buffer that grew past this is dropped after the
	// transaction instead of being kept for the next one.
	keepBuf = 256 << 10
)

// flushAt is the size at which the append buffer is written out before
// the commit, bounding the memory of big transactions. (A variable so
// that the crash test can make transactions flush early and often.)
var flushAt = 4 << 20

// limit is the end of the readable bytes: the file plus pending appends.
func (d *DB) limit() uint64 { return d.size + uint64(len(d.wbuf)) }

// at returns the bytes from off to the end of whatever holds them: the
// mapping up to the file size, or the append buffer. off must be below
// limit (the callers have checked the record bounds).
func (d *DB) at(off uint64) []byte {
	if off < d.size {
		return d.m[off:d.size]
	}
	return d.wbuf[off-d.size:]
}

// bytesAt returns n bytes at off, or a corruption error if they are not
// all in the file (or all in the append buffer: a valid record never
// straddles the two).
func (d *DB) bytesAt(off, n uint64) ([]byte, error) {
	var b []byte
	switch {
	case off < d.size:
		b = d.m[off:d.size]
	case off-d.size <= uint64(len(d.wbuf)):
		b = d.wbuf[off-d.size:]
	default:
		return nil, d.corrupt(off, "read of %d bytes past end of file (size %d)", n, d.limit())
	}
	if n > uint64(len(b)) {
		return nil, d.corrupt(off, "read of %d bytes past end of file (size %d)", n, d.limit())
	}
	return b[:n:n], nil
}

// ---- mapping ----

// mapTo makes sure the mapping covers the first n bytes of the file.
func (d *DB) mapTo(n uint64) error {
	if n <= uint64(len(d.m)) && d.m != nil {
		return nil
	}
	c := 2 * n
	if c < n+1<<20 {
		c = n + 1<<20
	}
	c = (c + pageSize - 1) &^ (pageSize - 1)
	if n > 1<<46 {
		return d.corrupt(n, "file too large to map")
	}
	m, err := unix.Mmap(d.fd, 0, int(c), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("twoskip: mmap %s: %w", d.path, err)
	}
	d.dropMap()
	d.m = m
	return nil
}

// dropMap retires the current mapping. While a Foreach callback runs it
// may hold slices of it, so then it is unmapped only when the lock goes
// (it stays coherent with the file meanwhile: MAP_SHARED); otherwise at
// once, so that its pages do not count twice in the resident size.
func (d *DB) dropMap() {
	if d.m == nil {
		return
	}
	if d.iterating > 0 {
		d.stale = append(d.stale, d.m)
	} else {
		unix.Munmap(d.m)
	}
	d.m = nil
}

func (d *DB) releaseStale() {
	for i, m := range d.stale {
		unix.Munmap(m)
		d.stale[i] = nil
	}
	d.stale = d.stale[:0]
}

// ---- raw io ----

// pwrite writes b at off with as many pwrite(2) calls as it takes.
func (d *DB) pwrite(b []byte, off uint64) error {
	for done := 0; done < len(b); {
		n, err := unix.Pwrite(d.fd, b[done:], int64(off)+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err == nil && n == 0 {
			err = unix.EIO
		}
		if err != nil {
			return fmt.Errorf("twoskip: write %s at %d: %w", d.path, off+uint64(done), err)
		}
		done += n
	}
	if e := off + uint64(len(b)); e > d.size {
		if err := d.mapTo(e); err != nil {
			return err
		}
		d.size = e
	}
	return nil
}

func (d *DB) truncate(n uint64) error {
	d.forget()
	if err := unix.Ftruncate(d.fd, int64(n)); err != nil {
		return fmt.Errorf("twoskip: truncate %s: %w", d.path, err)
	}
	d.size = n
	return nil
}

func (d *DB) sync() error {
	if d.opts.Flags&cyrusdb.NoSync != 0 {
		return nil
	}
	for {
		err := unix.Fdatasync(d.fd)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("twoskip: fdatasync %s: %w", d.path, err)
		}
		return nil
	}
}

// writeChunk is the most flush hands to one pwrite, ending on a multiple
// of itself. Linux (6.x, ext4 with large folios) caches a big write in
// folios as big as the write, and every later small write into such a
// folio (each committed-head rewrite) costs in proportion to the folio:
// measured here, a 40-byte pwrite into data written 4 MiB at a time cost
// 14-25 µs of CPU, into data written 16 KiB at a time 3-5 µs.
const writeChunk = 16 << 10

// flush writes the append buffer to the file.
func (d *DB) flush() error {
	if len(d.wbuf) == 0 {
		return nil
	}
	for b, off := d.wbuf, d.size; len(b) > 0; {
		n := uint64(writeChunk) - off%writeChunk
		if n > uint64(len(b)) {
			n = uint64(len(b))
		}
		if err := d.pwrite(b[:n], off); err != nil {
			return err
		}
		b, off = b[n:], off+n
	}
	if d.iterating > 0 {
		// A Foreach callback may hold keys and values in this buffer:
		// leave it to them and start a new one.
		d.wbuf = nil
	} else {
		d.wbuf = d.wbuf[:0]
	}
	return nil
}

// dropBuffer forgets unwritten appends (abort) and lets go of a buffer
// that a big transaction made large.
func (d *DB) dropBuffer() {
	d.forget()
	if cap(d.wbuf) > keepBuf || d.iterating > 0 {
		d.wbuf = nil
	} else {
		d.wbuf = d.wbuf[:0]
	}
}

// ---- records ----

// readRecord parses the record at off (offset 0 gives the empty record)
// and checks its head CRC.
func (d *DB) readRecord(off uint64) (record, error) {
	var r record
	if off == 0 {
		return r, nil
	}
	if off%8 != 0 {
		return r, d.corrupt(off, "unaligned record offset")
	}
	if off < dummyOffset {
		return r, d.corrupt(off, "record offset inside the header")
	}
	var b []byte
	switch {
	case off < d.size:
		b = d.m[off:d.size]
	case off-d.size < uint64(len(d.wbuf)):
		b = d.wbuf[off-d.size:]
	}
	if len(b) < 24 {
		return r, d.corrupt(off, "read of a record head past end of file (size %d)", d.limit())
	}
	r.off = off
	r.typ = b[0]
	r.level = b[1]
	r.keylen = uint64(be.Uint16(b[2:]))
	r.vallen = uint64(be.Uint32(b[4:]))
	if r.level > maxLevel {
		return r, d.corrupt(off, "invalid level %d", r.level)
	}
	p := uint64(8)
	if r.keylen == 0xFFFF {
		r.keylen = be.Uint64(b[p:])
		p += 8
	}
	if r.vallen == 0xFFFFFFFF {
		if uint64(len(b)) < p+8 {
			return r, d.corrupt(off, "read of a record head past end of file (size %d)", d.limit())
		}
		r.vallen = be.Uint64(b[p:])
		p += 8
	}
	lim := uint64(len(b))
	if r.keylen > lim || r.vallen > lim {
		return r, d.corrupt(off, "record lengths %d+%d beyond file size", r.keylen, r.vallen)
	}
	r.ptrOff = off + p
	hl := p + 8*(uint64(r.level)+1) + 8
	r.length = hl + roundup8(r.keylen+r.vallen)
	if r.length > lim {
		return r, d.corrupt(off, "read of %d bytes past end of file (size %d)", r.length, d.limit())
	}
	crcAt := hl - 8
	r.crcHead = be.Uint32(b[crcAt:])
	r.crcTail = be.Uint32(b[crcAt+4:])
	r.keyOff = off + hl
	if crcAt < 64 {
		if got := crc(b[:crcAt]); got != r.crcHead {
			return r, d.corrupt(off, "record head CRC mismatch (stored %08X, computed %08X)", r.crcHead, got)
		}
		return r, nil
	}
	// A tall head (the DUMMY, records of level 6 and up) is read by
	// every descent: check it once per lock.
	slot := &d.verified[(off>>3)%uint64(len(d.verified))]
	if tag := off<<16 | uint64(d.epoch); *slot != tag {
		if got := crc(b[:crcAt]); got != r.crcHead {
			return r, d.corrupt(off, "record head CRC mismatch (stored %08X, computed %08X)", r.crcHead, got)
		}
		*slot = tag
	}
	return r, nil
}

// forget starts a new epoch of d.verified: every head is checked again
// when next read. Called when the lock is taken (another process may
// have written meanwhile) and when bytes at known offsets go away
// (truncate, a dropped append buffer, another file).
func (d *DB) forget() {
	d.epoch++
	if d.epoch == 0 {
		clear(d.verified[:])
		d.epoch = 1
	}
}

// ptr is raw pointer slot i of r.
func (d *DB) ptr(r *record, i int) uint64 {
	return be.Uint64(d.at(r.ptrOff + 8*uint64(i)))
}

func (d *DB) key(r *record) []byte {
	return d.at(r.keyOff)[:r.keylen:r.keylen]
}

func (d *DB) val(r *record) []byte {
	return d.at(r.keyOff + r.keylen)[:r.vallen:r.vallen]
}

func (d *DB) checkTail(r *record) error {
	n := roundup8(r.keylen + r.vallen)
	if got := crc(d.at(r.keyOff)[:n]); got != r.crcTail {
		return d.corrupt(r.off, "record tail CRC mismatch (stored %08X, computed %08X)", r.crcTail, got)
	}
	return nil
}

// readSkipDelete reads the record at off; if it is a DELETE it follows
// the DELETE's pointer to the live record behind it.
func (d *DB) readSkipDelete(off uint64) (record, error) {
	r, err := d.readRecord(off)
	if err != nil || r.off == 0 {
		return r, err
	}
	if r.typ == typeDelete {
		if r, err = d.readRecord(d.ptr(&r, 0)); err != nil || r.off == 0 {
			return r, err
		}
	}
	if r.typ != typeRecord {
		return r, d.corrupt(r.off, "pointer leads to a record of type %q", r.typ)
	}
	return r, nil
}

// ---- writing records ----

// writeRecord appends a record at d.end, after BLANK padding that keeps
// its head inside one 512-byte block, and returns its offset. The bytes
// go to the append buffer.
func (d *DB) writeRecord(typ byte, level uint8, ptrs []uint64, key, val []byte) (uint64, error) {
	if d.end != d.limit() {
		return 0, fmt.Errorf("twoskip: %s: internal: append at %d but data ends at %d", d.path, d.end, d.limit())
	}
	kl, vl := uint64(len(key)), uint64(len(val))
	hl := headLen(level, kl, vl)
	tl := roundup8(kl + vl)
	if len(d.wbuf) > 0 && uint64(len(d.wbuf))+blockSize+hl+tl > uint64(flushAt) {
		if err := d.flush(); err != nil {
			return 0, err
		}
	}
	pad := uint64(0)
	if hl <= blockSize-8 {
		for e := d.end; (e+8)%blockSize > (e-8+hl)%blockSize; e += 8 {
			pad += 8
		}
	}
	start := len(d.wbuf)
	total := int(pad + hl + tl)
	d.wbuf = slices.Grow(d.wbuf, total)[:start+total]
	b := d.wbuf[start:]
	for i := uint64(0); i < pad; i += 8 {
		copy(b[i:], blank)
	}
	tail := b[pad+hl:]
	copy(tail, key)
	copy(tail[kl:], val)
	clear(tail[kl+vl:])
	putHead(b[pad:pad+hl], typ, level, kl, vl, ptrs, crc(tail))
	off := d.end + pad
	d.end += uint64(total)
	if len(d.wbuf) >= flushAt {
		if err := d.flush(); err != nil {
			return 0, err
		}
	}
	return off, nil
}

// appendRecord is writeRecord inside a transaction: the header is marked
// DIRTY (and synced) before the first byte of the transaction is written.
func (d *DB) appendRecord(typ byte, level uint8, ptrs []uint64, key, val []byte) (uint64, error) {
	if err := d.markDirty(); err != nil {
		return 0, err
	}
	return d.writeRecord(typ, level, ptrs, key, val)
}

// markDirty sets DIRTY and flagTxn in the header, once per transaction,
// before anything else of the transaction is written, and makes DIRTY
// durable. On a file a deferred commit left DIRTY (defer.go) DIRTY is on
// disk already: flagTxn only has to reach the other processes, which
// the write alone does.
func (d *DB) markDirty() error {
	if d.txn != nil {
		if d.txn.wrote {
			return nil
		}
		d.txn.wrote = true
	}
	// (a flagTxn already in the header is not ours: Cyrus's recovery of
	// a file a Gyrus writer died in keeps it in the clean header)
	wasDirty := d.hdr.flags&flagDirty != 0
	d.hdr.flags |= flagDirty | flagTxn
	if wasDirty {
		return d.writeHeader()
	}
	return d.commitHeader()
}

// editHead returns r's head for changing its pointers: the bytes
// themselves for a record of this transaction, a scratch copy for a
// committed one. saveHead must follow.
func (d *DB) editHead(r *record) []byte {
	hl := r.keyOff - r.off
	if r.off >= d.hdr.currentSize {
		return d.at(r.off)[:hl:hl]
	}
	h := d.scratch[:hl:hl]
	copy(h, d.at(r.off))
	return h
}

// saveHead recomputes the head CRC of h (from editHead) and writes a
// committed head back to the file with one pwrite. crc32_tail is kept.
func (d *DB) saveHead(r *record, h []byte) error {
	if d.hdr.flags&flagDirty == 0 {
		return d.corrupt(r.off, "internal: record rewrite outside a dirty transaction")
	}
	n := len(h) - 8
	r.crcHead = crc(h[:n])
	be.PutUint32(h[n:], r.crcHead)
	if r.off >= d.hdr.currentSize {
		return nil
	}
	return d.pwrite(h, r.off)
}

// slot is where raw pointer slot i of a head from editHead lives.
func (r *record) slot(h []byte, i int) []byte {
	p := r.ptrOff - r.off + 8*uint64(i)
	return h[p : p+8]
}
