package twoskip

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/fileio"
	"gyrus/lib/lockfile"
)

const (
	unlocked = iota
	readLocked
	writeLocked
)

// DB is an open twoskip file (a cyrusdb.Engine).
type DB struct {
	path string
	opts cyrusdb.Options
	cmp  func(a, b []byte) int
	f    *os.File
	fd   int
	dev  uint64 // identity of f, to notice when the path is replaced
	ino  uint64

	m     []byte   // shared read-write mapping of f; len(m) >= size (see io.go)
	stale [][]byte // replaced mappings, unmapped when the lock is released
	size  uint64   // file size as far as we know (fstat at lock + our writes)
	// wbuf holds this transaction's appends not yet written: the bytes
	// of file offsets [size, size+len(wbuf)).
	wbuf []byte
	// iterating counts Foreach callbacks running: while one runs, the
	// append buffer is never reused (the callback may hold slices of it).
	iterating int
	scratch   [maxHeadLen]byte // committed heads being rewritten
	// verified[(off/8)%len] == off<<16|epoch: the head at off (one of
	// the tall heads, over 64 bytes) passed its CRC check under the
	// current lock; see readRecord and forget.
	verified [2048]uint64
	epoch    uint16

	hdr    header
	end    uint64 // logical end: current_size, plus this txn's appends
	isOpen bool
	lock   int
	txn    *txn
	loc    loc

	// newLevel picks the level of a new RECORD (tests make it fixed).
	newLevel func() uint8

	// pausedUntil: a DeferSync handle commits as usual until then
	// (defer.go).
	pausedUntil time.Time
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
	d.distrust() // (defer.go) the next lock recovers the file
	return cyrusdb.Corrupt(d.path, int64(off), format, args...)
}

// open opens (creating if asked) and validates the file, running recovery
// if the last writer died mid-transaction.
func open(path string, o cyrusdb.Options) (d *DB, err error) {
	d = &DB{path: path, opts: o, cmp: cyrusdb.Comparator(o.Flags), newLevel: randomLevel}
	defer guard(&err, debug.SetPanicOnFault(true))
	f, err := fileio.Open(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) && o.Flags&cyrusdb.Create != 0 {
		if err = cyrusdb.MkdirParents(path); err == nil {
			f, err = fileio.Open(path, os.O_RDWR|os.O_CREATE, 0o644)
		}
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("twoskip: %w: %w", cyrusdb.ErrNotFound, err)
		}
		return nil, fmt.Errorf("twoskip: %w", err)
	}
	if err := d.setFile(f); err != nil {
		f.Close()
		return nil, err
	}
	if err := d.openLocked(); err != nil {
		d.unlock()
		d.closeFile()
		return nil, err
	}
	d.unlock()
	return d, nil
}

// setFile makes f the open file and remembers its identity, which
// lockFile compares with what the path names.
func (d *DB) setFile(f *os.File) error {
	d.forget()
	d.f, d.fd, d.dev, d.ino = f, -1, 0, 0
	if f == nil {
		return nil
	}
	d.fd = int(f.Fd())
	var st unix.Stat_t
	if err := unix.Fstat(d.fd, &st); err != nil {
		return fmt.Errorf("twoskip: fstat %s: %w", d.path, err)
	}
	d.dev, d.ino = st.Dev, st.Ino
	return nil
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
	if !d.isClean() && !d.trusted() {
		if d.lock != writeLocked {
			d.unlock()
			return d.writeLock() // runs recovery
		}
		return d.recovery()
	}
	return nil
}

// create writes the header and the DUMMY of an empty file, with one
// write, and syncs. (The DUMMY head fits in the first 512-byte block, so
// it needs no BLANK padding.)
func (d *DB) create() error {
	b := make([]byte, headerSize+headLen(maxLevel, 0, 0))
	putHead(b[headerSize:], typeDummy, maxLevel, 0, 0, nil, crc(nil))
	d.hdr = header{version: version, generation: 1, repackSize: uint64(len(b)), currentSize: uint64(len(b))}
	d.hdr.encode(b[:headerSize])
	if err := d.pwrite(b, 0); err != nil {
		return err
	}
	d.end = d.hdr.currentSize
	return d.sync()
}

func (d *DB) closeFile() {
	d.dropMap()
	d.releaseStale()
	d.wbuf = nil
	if d.f != nil {
		d.f.Close()
		d.setFile(nil)
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

// lockFile takes the file lock, follows the path to a new file if the
// one we had was replaced by rename (repack, recovery2 of another
// process), and learns the file size. Two system calls when nothing
// changed: the lock, and a stat of the path, which names our inode
// (known since open) and so also gives its size.
func (d *DB) lockFile(mode lockfile.Mode) error {
	if d.f == nil {
		return fmt.Errorf("twoskip: %s is closed", d.path)
	}
	if !tryLockFast(d.fd, mode) {
		if err := lockfile.Lock(d.f, mode); err != nil {
			return fmt.Errorf("twoskip: %w", err)
		}
	}
	var st unix.Stat_t
	err := unix.Stat(d.path, &st)
	if err != nil && err != unix.ENOENT {
		lockfile.Unlock(d.f)
		return fmt.Errorf("twoskip: stat %s: %w", d.path, err)
	}
	if err != nil || st.Dev != d.dev || st.Ino != d.ino {
		// Replaced (or removed): move to whatever the path names now.
		d.dropMap()
		d.f.Close()
		d.setFile(nil)
		d.loc.valid = false
		nf, err := lockfile.OpenLocked(d.path, os.O_RDWR, 0, mode)
		if err != nil {
			return fmt.Errorf("twoskip: %w", err)
		}
		if err := d.setFile(nf); err != nil {
			nf.Close()
			d.setFile(nil)
			return err
		}
		if err := unix.Fstat(d.fd, &st); err != nil {
			lockfile.Unlock(d.f)
			return fmt.Errorf("twoskip: fstat %s: %w", d.path, err)
		}
	}
	d.size = uint64(st.Size)
	d.forget()
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
	if d.lock != unlocked && d.f != nil && !unlockFast(d.fd) {
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
		if d.isClean() || d.trusted() || tries > 10 {
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
	d.noticeOtherWriters()
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

// writeHeader writes the header with one pwrite (never through the
// mapping: a torn header could not be recovered).
func (d *DB) writeHeader() error {
	var b [headerSize]byte
	d.hdr.encode(b[:])
	return d.pwrite(b[:], 0)
}

func (d *DB) commitHeader() error {
	if err := d.writeHeader(); err != nil {
		return err
	}
	return d.sync()
}
