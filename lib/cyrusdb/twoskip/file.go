package twoskip

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"

	"golang.org/x/sys/unix"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/lockfile"
)

const (
	unlocked = iota
	readLocked
	writeLocked
)

// DB is an open twoskip file (a cyrusdb.Engine).
type DB struct {
	path  string
	opts  cyrusdb.Options
	cmp   func(a, b []byte) int
	f     *os.File
	m     []byte   // read-only shared mapping of f; len(m) >= size
	stale [][]byte // replaced mappings, unmapped when the lock is released
	size  uint64   // file size as far as we know (fstat at lock + our writes)

	hdr    header
	end    uint64 // logical end: current_size, plus this txn's appends
	isOpen bool
	lock   int
	txn    *txn
	loc    loc

	// newLevel picks the level of a new RECORD (tests make it fixed).
	newLevel func() uint8
}

// randomLevel is Cyrus's randlvl(1, MAXLEVEL): start at 1, add one while
// a fair coin says so, stop at 31.
func randomLevel() uint8 {
	l := uint8(1)
	for rand.Uint32()&1 == 0 {
		l++
		if l == maxLevel {
			break
		}
	}
	return l
}

func (d *DB) corrupt(off uint64, format string, args ...any) error {
	return cyrusdb.Corrupt(d.path, int64(off), format, args...)
}

// open opens (creating if asked) and validates the file, running recovery
// if the last writer died mid-transaction.
func open(path string, o cyrusdb.Options) (d *DB, err error) {
	d = &DB{path: path, opts: o, cmp: cyrusdb.Comparator(o.Flags), newLevel: randomLevel}
	defer guard(&err, debug.SetPanicOnFault(true))
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) && o.Flags&cyrusdb.Create != 0 {
		if err = cyrusdb.MkdirParents(path); err == nil {
			f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o644)
		}
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("twoskip: %w: %w", cyrusdb.ErrNotFound, err)
		}
		return nil, fmt.Errorf("twoskip: %w", err)
	}
	d.f = f
	if err := d.openLocked(); err != nil {
		d.unlock()
		d.closeFile()
		return nil, err
	}
	d.unlock()
	return d, nil
}

func (d *DB) openLocked() error {
	if err := d.readLock(); err != nil {
		return err
	}
	if d.size == 0 {
		// A new file: it needs the write lock, and someone else may
		// have created it meanwhile.
		d.unlock()
		if err := d.writeLock(); err != nil {
			return err
		}
		if d.size == 0 {
			if err := d.create(); err != nil {
				return err
			}
		}
	}
	d.isOpen = true
	if err := d.readHeader(); err != nil {
		return err
	}
	if !d.isClean() {
		if d.lock != writeLocked {
			d.unlock()
			return d.writeLock() // runs recovery
		}
		return d.recovery()
	}
	return nil
}

// create writes the DUMMY and the first header of an empty file.
func (d *DB) create() error {
	d.end = dummyOffset
	if _, err := d.writeRecord(typeDummy, maxLevel, nil, nil, nil); err != nil {
		return err
	}
	d.hdr = header{version: version, generation: 1, repackSize: d.end, currentSize: d.end}
	return d.commitHeader()
}

// ---- mapping ----

const pageSize = 4096

func (d *DB) mapTo(n uint64) error {
	if n <= uint64(len(d.m)) && d.m != nil {
		return nil
	}
	c := n + n/4 + 1<<20
	c = (c + pageSize - 1) &^ (pageSize - 1)
	if c > 1<<62 {
		return d.corrupt(n, "file too large to map")
	}
	m, err := unix.Mmap(int(d.f.Fd()), 0, int(c), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("twoskip: mmap %s: %w", d.path, err)
	}
	d.dropMap()
	d.m = m
	return nil
}

// dropMap retires the current mapping: slices into it may still be held
// by a Foreach callback, so it is unmapped only when the lock goes.
func (d *DB) dropMap() {
	if d.m != nil {
		d.stale = append(d.stale, d.m)
		d.m = nil
	}
}

func (d *DB) releaseStale() {
	for _, m := range d.stale {
		unix.Munmap(m)
	}
	d.stale = d.stale[:0]
}

func (d *DB) closeFile() {
	d.dropMap()
	d.releaseStale()
	if d.f != nil {
		d.f.Close()
		d.f = nil
	}
}

// guard turns a memory fault inside the mapping (a file truncated behind
// our back by a process that ignores the locks) into an error instead of
// a crash of the whole program. Use as
//
//	defer guard(&err, debug.SetPanicOnFault(true))
func guard(err *error, old bool) {
	debug.SetPanicOnFault(old)
	if r := recover(); r != nil {
		if _, ok := r.(interface{ Addr() uintptr }); ok {
			*err = fmt.Errorf("twoskip: memory fault reading mapped file: %v", r)
			return
		}
		panic(r)
	}
}

// ---- locking ----

func (d *DB) lockFile(mode lockfile.Mode) error {
	nf, replaced, err := lockfile.Relock(d.f, d.path, os.O_RDWR, mode)
	if err != nil {
		if replaced {
			d.f = nil
		}
		return fmt.Errorf("twoskip: %w", err)
	}
	if replaced {
		d.dropMap()
		d.f = nf
		d.loc.valid = false
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(d.f.Fd()), &st); err != nil {
		lockfile.Unlock(d.f)
		return fmt.Errorf("twoskip: fstat %s: %w", d.path, err)
	}
	d.size = uint64(st.Size)
	if mode == lockfile.Exclusive {
		d.lock = writeLocked
	} else {
		d.lock = readLocked
	}
	if err := d.mapTo(d.size); err != nil {
		d.unlock()
		return err
	}
	return nil
}

func (d *DB) unlock() {
	if d.lock != unlocked && d.f != nil {
		lockfile.Unlock(d.f)
	}
	d.lock = unlocked
	d.releaseStale()
}

func (d *DB) readLock() error {
	for tries := 0; ; tries++ {
		if err := d.lockFile(lockfile.Shared); err != nil {
			return err
		}
		if !d.isOpen {
			return nil
		}
		if err := d.readHeader(); err != nil {
			d.unlock()
			return err
		}
		if d.isClean() || tries > 10 {
			return nil
		}
		// Unclean: recover under the write lock, then start again.
		d.unlock()
		if err := d.writeLock(); err != nil {
			return err
		}
		d.unlock()
	}
}

func (d *DB) writeLock() error {
	if err := d.lockFile(lockfile.Exclusive); err != nil {
		return err
	}
	if !d.isOpen {
		return nil
	}
	if err := d.readHeader(); err != nil {
		d.unlock()
		return err
	}
	if err := d.recovery(); err != nil {
		d.unlock()
		return err
	}
	return nil
}

func (d *DB) isClean() bool {
	return d.hdr.currentSize == d.size && d.hdr.flags&flagDirty == 0
}

// ---- header ----

func (d *DB) readHeader() error {
	if d.size < headerSize {
		return d.corrupt(0, "file of %d bytes is too short for the header", d.size)
	}
	b := d.m[:headerSize]
	if !bytes.Equal(b[:20], cyrusdb.MagicTwoskip) {
		return fmt.Errorf("twoskip: %s: %w", d.path, cyrusdb.ErrFormat)
	}
	h := header{
		version:     be.Uint32(b[offVersion:]),
		generation:  be.Uint64(b[offGeneration:]),
		numRecords:  be.Uint64(b[offNumRecords:]),
		repackSize:  be.Uint64(b[offRepackSize:]),
		currentSize: be.Uint64(b[offCurrentSize:]),
		flags:       be.Uint32(b[offFlags:]),
	}
	if h.version > version {
		return d.corrupt(offVersion, "unsupported version %d", h.version)
	}
	if got, want := crc(b[:offCRC]), be.Uint32(b[offCRC:]); got != want {
		return d.corrupt(offCRC, "header CRC mismatch (stored %08X, computed %08X)", want, got)
	}
	if h.currentSize < dummyOffset || h.currentSize > 1<<62 {
		return d.corrupt(offCurrentSize, "impossible current_size %d", h.currentSize)
	}
	d.hdr = h
	d.end = h.currentSize
	return nil
}

func (d *DB) writeHeader() error {
	return d.pwrite(d.hdr.encode(), 0)
}

func (d *DB) commitHeader() error {
	if err := d.writeHeader(); err != nil {
		return err
	}
	return d.sync()
}

func (d *DB) sync() error {
	if d.opts.Flags&cyrusdb.NoSync != 0 {
		return nil
	}
	if err := unix.Fdatasync(int(d.f.Fd())); err != nil {
		return fmt.Errorf("twoskip: fdatasync %s: %w", d.path, err)
	}
	return nil
}

// ---- raw io ----

func (d *DB) pwrite(b []byte, off uint64) error {
	if _, err := d.f.WriteAt(b, int64(off)); err != nil {
		return fmt.Errorf("twoskip: write %s: %w", d.path, err)
	}
	if e := off + uint64(len(b)); e > d.size {
		d.size = e
	}
	return d.mapTo(d.size)
}

func (d *DB) truncate(n uint64) error {
	if err := d.f.Truncate(int64(n)); err != nil {
		return fmt.Errorf("twoskip: truncate %s: %w", d.path, err)
	}
	d.size = n
	return nil
}

// bytesAt returns n bytes at off from the mapping, or a corruption error
// if that reaches past the end of the file.
func (d *DB) bytesAt(off, n uint64) ([]byte, error) {
	if off > d.size || n > d.size-off {
		return nil, d.corrupt(off, "read of %d bytes past end of file (size %d)", n, d.size)
	}
	return d.m[off : off+n : off+n], nil
}

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
	b, err := d.bytesAt(off, 24)
	if err != nil {
		return r, err
	}
	r.off = off
	r.typ = b[0]
	r.level = b[1]
	r.keylen = uint64(be.Uint16(b[2:]))
	r.vallen = uint64(be.Uint32(b[4:]))
	if r.level > maxLevel {
		return r, d.corrupt(off, "invalid level %d", r.level)
	}
	p := off + 8
	if r.keylen == 0xFFFF {
		x, err := d.bytesAt(p, 8)
		if err != nil {
			return r, err
		}
		r.keylen = be.Uint64(x)
		p += 8
	}
	if r.vallen == 0xFFFFFFFF {
		x, err := d.bytesAt(p, 8)
		if err != nil {
			return r, err
		}
		r.vallen = be.Uint64(x)
		p += 8
	}
	if r.keylen > d.size || r.vallen > d.size {
		return r, d.corrupt(off, "record lengths %d+%d beyond file size", r.keylen, r.vallen)
	}
	r.ptrOff = p
	hl := p - off + 8*(uint64(r.level)+1) + 8
	r.length = hl + roundup8(r.keylen+r.vallen)
	whole, err := d.bytesAt(off, r.length)
	if err != nil {
		return r, err
	}
	crcAt := hl - 8
	r.crcHead = be.Uint32(whole[crcAt:])
	r.crcTail = be.Uint32(whole[crcAt+4:])
	r.keyOff = off + hl
	if got := crc(whole[:crcAt]); got != r.crcHead {
		return r, d.corrupt(off, "record head CRC mismatch (stored %08X, computed %08X)", r.crcHead, got)
	}
	return r, nil
}

func (d *DB) ptr(r *record, i int) uint64 {
	return be.Uint64(d.m[r.ptrOff+8*uint64(i):])
}

func (d *DB) ptrs(r *record) []uint64 {
	p := make([]uint64, int(r.level)+1, maxLevel+1)
	for i := range p {
		p[i] = d.ptr(r, i)
	}
	return p
}

func (d *DB) key(r *record) []byte {
	return d.m[r.keyOff : r.keyOff+r.keylen : r.keyOff+r.keylen]
}

func (d *DB) val(r *record) []byte {
	o := r.keyOff + r.keylen
	return d.m[o : o+r.vallen : o+r.vallen]
}

func (d *DB) checkTail(r *record) error {
	n := roundup8(r.keylen + r.vallen)
	if got := crc(d.m[r.keyOff : r.keyOff+n]); got != r.crcTail {
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
// its head inside one 512-byte block, and returns its offset.
func (d *DB) writeRecord(typ byte, level uint8, ptrs []uint64, key, val []byte) (uint64, error) {
	kl, vl := uint64(len(key)), uint64(len(val))
	pad := roundup8(kl+vl) - (kl + vl)
	tail := make([]byte, 0, kl+vl+pad)
	tail = append(tail, key...)
	tail = append(tail, val...)
	tail = append(tail, make([]byte, pad)...)
	head := encodeHead(typ, level, kl, vl, ptrs, crc(tail))
	iolen := uint64(len(head))

	var buf []byte
	start := d.end
	if iolen <= blockSize-8 {
		for (d.end+8)%blockSize > (d.end-8+iolen)%blockSize {
			buf = append(buf, blank...)
			d.end += 8
		}
	}
	off := d.end
	buf = append(buf, head...)
	buf = append(buf, tail...)
	if err := d.pwrite(buf, start); err != nil {
		return 0, err
	}
	d.end = start + uint64(len(buf))
	return off, nil
}

// appendRecord is writeRecord inside a transaction: the header is marked
// DIRTY (and synced) before the first byte of the transaction is written.
func (d *DB) appendRecord(typ byte, level uint8, ptrs []uint64, key, val []byte) (uint64, error) {
	if d.hdr.flags&flagDirty == 0 {
		d.hdr.flags |= flagDirty
		if err := d.commitHeader(); err != nil {
			return 0, err
		}
	}
	return d.writeRecord(typ, level, ptrs, key, val)
}

// rewriteRecord writes r's head again with new pointers (same level and
// lengths, so the same size); crc32_tail is kept.
func (d *DB) rewriteRecord(r *record, ptrs []uint64) error {
	if d.hdr.flags&flagDirty == 0 {
		return d.corrupt(r.off, "internal: record rewrite outside a dirty transaction")
	}
	head := encodeHead(r.typ, r.level, r.keylen, r.vallen, ptrs, r.crcTail)
	return d.pwrite(head, r.off)
}
