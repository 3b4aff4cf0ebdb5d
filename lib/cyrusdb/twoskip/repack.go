package twoskip

import (
	"fmt"
	"os"
	"time"

	"gyrus/lib/cyrusdb"
)

// checkpoint copies every live record, in order, into <file>.NEW with the
// next generation and renames it over the file (Cyrus mycheckpoint).
// Called with the write lock held; returns with no lock held. Other
// processes notice the new inode when they next lock.
func (d *DB) checkpoint() error {
	start := time.Now()
	oldSize := d.hdr.currentSize
	if err := d.consistent(); err != nil {
		d.unlock()
		return fmt.Errorf("twoskip: %s inconsistent before checkpoint: %w", d.path, err)
	}
	newPath := d.path + ".NEW"
	os.Remove(newPath)
	o := d.opts
	o.Flags |= cyrusdb.Create | cyrusdb.NoCompact
	o.Flags &^= cyrusdb.DeferSync // durable before the rename
	nd, err := open(newPath, o)
	if err != nil {
		d.unlock()
		return err
	}
	nd.newLevel = d.newLevel
	fail := func(err error) error {
		if nd.txn != nil {
			nd.abortTxn()
		}
		nd.Close()
		os.Remove(newPath)
		d.unlock()
		return err
	}
	if err := nd.writeLock(); err != nil {
		return fail(err)
	}
	nd.txn = &txn{d: nd, write: true}
	// Copy in order. The source is walked at level 0 directly: it is
	// locked and not changing.
	d.loc.key = d.loc.key[:0]
	if err := d.relocate(); err != nil {
		return fail(err)
	}
	for {
		if err := d.advance(); err != nil {
			return fail(err)
		}
		if !d.loc.exact {
			break
		}
		if err := nd.write(d.key(&d.loc.rec), d.val(&d.loc.rec), true); err != nil {
			return fail(err)
		}
	}
	if err := nd.consistent(); err != nil {
		return fail(fmt.Errorf("twoskip: %s inconsistent after checkpoint: %w", newPath, err))
	}
	nd.hdr.repackSize = nd.end
	nd.hdr.generation = d.hdr.generation + 1
	if nd.hdr.flags&flagDirty == 0 {
		// Nothing was copied: still write the new generation.
		if err := nd.commitHeader(); err != nil {
			return fail(err)
		}
	} else if err := nd.commitTxn(); err != nil {
		return fail(err)
	}
	nd.txn = nil
	nd.unlock()
	nd.Close()
	if err := os.Rename(newPath, d.path); err != nil {
		os.Remove(newPath)
		d.unlock()
		return fmt.Errorf("twoskip: checkpoint rename: %w", err)
	}
	if err := cyrusdb.SyncDir(d.path); err != nil {
		d.unlock()
		return err
	}
	// Let go of the old inode (waiters then find the new one) and move
	// to the new file.
	if err := d.adoptReplacement(); err != nil {
		return err
	}
	d.unlock()
	logCheckpointed(d.path, d.hdr.numRecords, oldSize, d.hdr.currentSize, time.Since(start))
	return nil
}

// consistent is Cyrus's myconsistent: keys strictly increasing along
// level 0, every level linking exactly the records of that level in
// order, no dangling tails, and num_records right.
func (d *DB) consistent() error {
	prev, err := d.readRecord(dummyOffset)
	if err != nil {
		return err
	}
	if prev.typ != typeDummy || prev.level != maxLevel {
		return d.corrupt(dummyOffset, "first record is not the DUMMY")
	}
	var fwd [maxLevel]uint64
	for i := 0; i < maxLevel; i++ {
		fwd[i] = d.getloc(&prev, i)
	}
	var num uint64
	steps := d.maxSteps()
	for fwd[0] != 0 {
		if steps--; steps < 0 {
			return d.corrupt(fwd[0], "pointer loop")
		}
		r, err := d.readRecord(fwd[0])
		if err != nil {
			return err
		}
		if r.typ == typeDelete {
			fwd[0] = d.ptr(&r, 0)
			continue
		}
		if r.typ != typeRecord {
			return d.corrupt(r.off, "record of type %q in the list", r.typ)
		}
		if err := d.checkTail(&r); err != nil {
			return err
		}
		if prev.typ != typeDummy && d.cmp(d.key(&r), d.key(&prev)) <= 0 {
			return d.corrupt(r.off, "keys out of order (previous record at %d)", prev.off)
		}
		for i := 0; i < int(r.level); i++ {
			if fwd[i] != r.off {
				return d.corrupt(r.off, "broken linkage at level %d: expected %d", i, fwd[i])
			}
			fwd[i] = d.getloc(&r, i)
		}
		num++
		prev = r
	}
	for i := 0; i < maxLevel; i++ {
		if fwd[i] != 0 {
			return d.corrupt(fwd[i], "broken tail at level %d", i)
		}
	}
	if num != d.hdr.numRecords {
		return d.corrupt(offNumRecords, "record count mismatch: header says %d, found %d", d.hdr.numRecords, num)
	}
	return nil
}
