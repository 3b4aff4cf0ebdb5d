package twoskip

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/lockfile"
)

// recovery repairs a file whose last writer did not finish (DIRTY set, or
// bytes beyond current_size). Called with the write lock held; on return
// the lock is still held and the header describes a clean file.
func (d *DB) recovery() error {
	if d.isClean() || d.trusted() {
		return nil
	}
	recoveries.Add(1)
	start := time.Now()
	fixed, err := d.recovery1()
	if err == nil {
		logRecovered(d.path, d.hdr.numRecords, d.hdr.currentSize, time.Since(start), fixed)
		return nil
	}
	logRecovery1Failed(d.path, err)
	if err2 := d.recovery2(); err2 != nil {
		return fmt.Errorf("twoskip: %s: recovery failed: %w (recovery2: %v)", d.path, err, err2)
	}
	return nil
}

// recoveries counts the recoveries run by this process (tests read it).
var recoveries atomic.Int64

// recovery1 walks level 0 of the committed data (pointers at or beyond
// current_size are ignored), relinks the higher levels to exactly the
// live records, zeroes stale level-0 slots, truncates the file to
// current_size and writes a clean header.
func (d *DB) recovery1() (int, error) {
	if d.isClean() {
		return 0, nil
	}
	if d.lock != writeLocked {
		return 0, errors.New("twoskip: internal: recovery without the write lock")
	}
	if d.hdr.currentSize <= headerSize || d.hdr.currentSize > d.size {
		return 0, d.corrupt(offCurrentSize, "current_size %d does not fit the file (%d bytes)", d.hdr.currentSize, d.size)
	}
	d.end = d.hdr.currentSize
	if d.hdr.flags&flagDirty == 0 {
		d.hdr.flags |= flagDirty
		if err := d.commitHeader(); err != nil {
			return 0, err
		}
	}
	changed := 0
	prevRec, err := d.readRecord(dummyOffset)
	if err != nil {
		return 0, err
	}
	if prevRec.typ != typeDummy || prevRec.level != maxLevel {
		return 0, d.corrupt(dummyOffset, "first record is not the DUMMY")
	}
	var prev, next [maxLevel + 1]uint64
	for i := 2; i <= maxLevel; i++ {
		prev[i] = prevRec.off
		next[i] = d.ptr(&prevRec, i)
	}
	if err := d.fixLevel0(&prevRec, &changed); err != nil {
		return 0, err
	}
	var num uint64
	nextOff := d.getloc(&prevRec, 0)
	steps := d.maxSteps()
	for nextOff != 0 {
		if steps--; steps < 0 {
			return 0, d.corrupt(nextOff, "pointer loop")
		}
		r, err := d.readRecord(nextOff)
		if err != nil {
			return 0, err
		}
		if r.typ == typeDelete {
			nextOff = d.ptr(&r, 0)
			continue
		}
		if r.typ != typeRecord {
			return 0, d.corrupt(r.off, "record of type %q in the list", r.typ)
		}
		if d.cmp(d.key(&r), d.key(&prevRec)) <= 0 && prevRec.typ != typeDummy {
			return 0, d.corrupt(r.off, "keys out of order")
		}
		for i := 2; i <= int(r.level); i++ {
			if next[i] != r.off {
				fr, err := d.readRecord(prev[i])
				if err != nil {
					return 0, err
				}
				if i > int(fr.level) {
					return 0, d.corrupt(fr.off, "level mismatch in linkage")
				}
				h := d.editHead(&fr)
				be.PutUint64(fr.slot(h, i), r.off)
				if err := d.saveHead(&fr, h); err != nil {
					return 0, err
				}
				changed++
			}
			prev[i] = r.off
			next[i] = d.ptr(&r, i)
		}
		if err := d.fixLevel0(&r, &changed); err != nil {
			return 0, err
		}
		num++
		nextOff = d.getloc(&r, 0)
		prevRec = r
	}
	for i := 2; i <= maxLevel; i++ {
		if next[i] != 0 {
			fr, err := d.readRecord(prev[i])
			if err != nil {
				return 0, err
			}
			if i > int(fr.level) {
				return 0, d.corrupt(fr.off, "level mismatch in linkage")
			}
			h := d.editHead(&fr)
			be.PutUint64(fr.slot(h, i), 0)
			if err := d.saveHead(&fr, h); err != nil {
				return 0, err
			}
			changed++
		}
	}
	if err := d.truncate(d.hdr.currentSize); err != nil {
		return 0, err
	}
	if err := d.sync(); err != nil {
		return 0, err
	}
	d.hdr.flags &^= flagDirty | flagTxn
	d.hdr.numRecords = num
	if err := d.commitHeader(); err != nil {
		return 0, err
	}
	d.loc.valid = false
	return changed, nil
}

// fixLevel0 zeroes level-0 slots that point into uncommitted data.
func (d *DB) fixLevel0(r *record, changed *int) error {
	var h []byte
	for i := 0; i < 2 && i <= int(r.level); i++ {
		if d.ptr(r, i) >= d.end {
			if h == nil {
				h = d.editHead(r)
			}
			be.PutUint64(r.slot(h, i), 0)
		}
	}
	if h == nil {
		return nil
	}
	*changed++
	return d.saveHead(r, h)
}

// recovery2 rebuilds the database from scratch when the links cannot be
// trusted: it reads every record of the file in sequence and replays,
// into <file>.NEW, each transaction that ends in a COMMIT and was read
// without error; generation is incremented and the new file renamed over
// the old one.
//
// A DELETE record names only the record that followed the deleted key.
// Cyrus 3.6.1 deletes that following key, which loses data; we delete the
// key just before it in the rebuilt database, which is the key that was
// deleted (the rebuilt database is in exactly the state the original was
// in when the DELETE was written).
func (d *DB) recovery2() error {
	oldCount := d.hdr.numRecords
	newPath := d.path + ".NEW"
	os.Remove(newPath)
	o := d.opts
	o.Flags |= cyrusdb.Create | cyrusdb.NoCompact
	o.Flags &^= cyrusdb.DeferSync // durable before the rename
	nd, err := open(newPath, o)
	if err != nil {
		return err
	}
	nd.newLevel = d.newLevel
	fail := func(err error) error {
		nd.Close()
		os.Remove(newPath)
		return err
	}
	// Scan the whole file, not just up to current_size: commits after it
	// were never acknowledged, but Cyrus applies them too; so do we.
	dirty := false
	off := uint64(dummyOffset)
	for off+8 <= d.size {
		if b, _ := d.bytesAt(off, 8); bytes.Equal(b, blank) {
			off += 8
			continue
		}
		r, err := d.readRecord(off)
		if err != nil {
			dirty = true
			off += 8
			continue
		}
		if r.typ == typeCommit {
			if !dirty {
				if err := d.copyCommit(nd, &r); err != nil {
					logCommitNotApplied(d.path, off, err)
				}
			}
			dirty = false
		}
		off += r.length
	}
	if nd.hdr.numRecords == 0 {
		return fail(fmt.Errorf("twoskip: recovery2 of %s found no records", d.path))
	}
	// Give the new file the next generation and make it durable.
	if err := nd.writeLock(); err != nil {
		return fail(err)
	}
	nd.hdr.generation = d.hdr.generation + 1
	if err := nd.commitHeader(); err != nil {
		return fail(err)
	}
	nd.unlock()
	nd.Close()
	if err := os.Rename(newPath, d.path); err != nil {
		return fail(err)
	}
	if err := cyrusdb.SyncDir(d.path); err != nil {
		return err
	}
	if err := d.adoptReplacement(); err != nil {
		return err
	}
	logRescued(d.path, d.hdr.numRecords, oldCount)
	return nil
}

// copyCommit replays one committed transaction of d into nd.
func (d *DB) copyCommit(nd *DB, c *record) error {
	start := d.ptr(c, 0)
	if err := nd.writeLock(); err != nil {
		return err
	}
	nd.txn = &txn{d: nd, write: true}
	err := func() error {
		for off := start; off < c.off; {
			if b, _ := d.bytesAt(off, 8); bytes.Equal(b, blank) {
				off += 8
				continue
			}
			r, err := d.readRecord(off)
			if err != nil {
				return err
			}
			if r.off == 0 {
				return d.corrupt(off, "transaction starts at offset 0")
			}
			switch r.typ {
			case typeRecord:
				if err := nd.write(d.key(&r), d.val(&r), true); err != nil {
					return err
				}
			case typeDelete:
				var succ []byte
				if p := d.ptr(&r, 0); p != 0 {
					s, err := d.readRecord(p)
					if err != nil {
						return err
					}
					if s.typ != typeRecord {
						return d.corrupt(r.off, "DELETE points at a record of type %q", s.typ)
					}
					succ = d.key(&s)
				}
				victim, err := nd.keyBefore(succ)
				if err != nil {
					return err
				}
				if victim != nil {
					if err := nd.write(victim, nil, true); err != nil {
						return err
					}
				}
			default:
				return d.corrupt(r.off, "record of type %q inside a transaction", r.typ)
			}
			off += r.length
		}
		return nil
	}()
	if err != nil {
		nd.abortTxn()
		return err
	}
	if err := nd.commitTxn(); err != nil {
		nd.abortTxn()
		return err
	}
	nd.txn = nil
	nd.unlock()
	return nil
}

// keyBefore returns a copy of the last key that sorts before key (before
// the end when key is nil), or nil if there is none.
func (d *DB) keyBefore(key []byte) ([]byte, error) {
	r, err := d.readRecord(dummyOffset)
	if err != nil {
		return nil, err
	}
	steps := d.maxSteps()
	for level := int(r.level); level > 0; {
		if steps--; steps < 0 {
			return nil, d.corrupt(r.off, "pointer loop")
		}
		nr, err := d.readSkipDelete(d.getloc(&r, level-1))
		if err != nil {
			return nil, err
		}
		if nr.off != 0 && (key == nil || d.cmp(d.key(&nr), key) < 0) {
			r = nr
			continue
		}
		level--
	}
	if r.typ == typeDummy {
		return nil, nil
	}
	return append([]byte(nil), d.key(&r)...), nil
}

// adoptReplacement switches this handle to the file that now sits at
// d.path (after a rename over it) and takes the write lock on it again:
// the caller of recovery or checkpoint still expects to hold it.
func (d *DB) adoptReplacement() error {
	mode := d.lock
	d.unlock()
	d.closeFile()
	f, err := lockfile.OpenLocked(d.path, os.O_RDWR, 0, lockfile.Exclusive)
	if err != nil {
		return err
	}
	if err := d.setFile(f); err != nil {
		f.Close()
		d.setFile(nil)
		return err
	}
	lockfile.Unlock(f)
	d.loc.valid = false
	if mode == readLocked {
		return d.readLock()
	}
	if err := d.lockFile(lockfile.Exclusive); err != nil {
		return err
	}
	return d.readHeader()
}
