package twoskip

import (
	"runtime/debug"
	"sync"
	"time"

	"gyrus/lib/cyrusdb"
)

// Deferred syncs (cyrusdb.DeferSync)
//
// A normal commit syncs three times: the header marked DIRTY before
// anything else is written, the records, the header with the new
// current_size and DIRTY clear. A handle opened with DeferSync commits
// without any sync and leaves DIRTY set, writing only the new
// current_size into the header:
//
//   - The file on disk is then DIRTY from the first such commit on
//     (that first marking is synced, as always), so the next transaction
//     may edit committed records at once: whatever a crash leaves, the
//     header says DIRTY and recovery undoes everything past the
//     current_size it finds. Only the first marking needs its sync.
//   - The commit is durable once the caller has synced the file (Sync,
//     or a sync of its file system started after Commit returned); a
//     crash before that loses it, and nothing else: recovery brings the
//     file back to the last current_size on disk, and if the header
//     reached the disk before the records did, recovery1 finds them
//     broken and recovery2 keeps every transaction that is whole.
//   - Between two transactions the file is consistent although DIRTY.
//     The handles of this process know it: the commit leaves the file's
//     identity, generation and current_size in chainedFiles, and a lock
//     that finds exactly that state (and a file that ends at
//     current_size) reads and writes without recovery. Any other process,
//     Cyrus's included, sees DIRTY and recovers the file first, which
//     costs it a walk of the file and loses nothing.
//   - Settle (when the writer falls idle) and Close sync and write the
//     header with DIRTY clear, as Cyrus expects a file at rest.
//
// What the trust rests on: while this process lives, only its own
// commits leave the file in a state matching chainedFiles. Another
// process that writes must first recover the file (it is DIRTY to it),
// and its own commits change current_size. One that dies in the middle
// of a transaction leaves current_size as it was, but if it is Gyrus's
// the header has flagTxn, set before its first write, and if it is
// Cyrus's the file is longer than current_size (Cyrus appends a record
// before it re-links older ones). Should a file nevertheless show a
// pointer past its end, the read that meets it reports the file
// corrupt, which withdraws the trust (DB.corrupt), so the next lock
// recovers it. A power loss ends the process and its trust with it.
//
// Two processes deferring on one file would recover each other's state
// at every lock (a walk of the whole file). A DeferSync handle that
// finds, at its write lock, that the file is no longer in the state its
// last deferred commit left, stops deferring for pauseDeferral, and
// commits as usual (clean, synced) meanwhile; so does the other, and
// they settle to one recovery each per pause.

// fileState identifies a consistent DIRTY state left by a deferred
// commit of this process.
type fileState struct {
	dev, ino, generation, currentSize uint64
}

// chainedFiles: file identity (dev, ino) -> the fileState its last
// deferred commit in this process left.
var chainedFiles sync.Map

type fileID struct{ dev, ino uint64 }

// trusted tells whether the DIRTY file under our lock is in the state a
// deferred commit of this process left: consistent, no recovery needed.
func (d *DB) trusted() bool {
	if d.hdr.flags&(flagDirty|flagTxn) != flagDirty || d.hdr.currentSize != d.size {
		return false
	}
	v, ok := chainedFiles.Load(fileID{d.dev, d.ino})
	return ok && v.(fileState) == fileState{d.dev, d.ino, d.hdr.generation, d.hdr.currentSize}
}

func (d *DB) trust() {
	chainedFiles.Store(fileID{d.dev, d.ino}, fileState{d.dev, d.ino, d.hdr.generation, d.hdr.currentSize})
}

func (d *DB) distrust() {
	if d.dev != 0 || d.ino != 0 {
		chainedFiles.Delete(fileID{d.dev, d.ino})
	}
}

// commitDeferred finishes a transaction of a DeferSync handle: COMMIT
// record, records written, header with the new current_size and DIRTY
// still set. No sync.
func (d *DB) commitDeferred() error {
	if err := d.appendCommit(); err != nil {
		return err
	}
	d.hdr.currentSize = d.end
	d.hdr.flags &^= flagTxn
	if err := d.writeHeader(); err != nil {
		return err
	}
	d.trust()
	return nil
}

// Sync makes the deferred commits so far durable.
func (d *DB) Sync() (err error) {
	if d.f == nil {
		return nil
	}
	return d.sync()
}

// Settle makes the deferred commits so far durable and writes the header
// with DIRTY clear. A file some other process recovered in the meantime
// is left as it is.
func (d *DB) Settle() (err error) {
	if d.f == nil || d.txn != nil {
		return nil
	}
	defer guard(&err, debug.SetPanicOnFault(true))
	if err := d.writeLock(); err != nil {
		return err
	}
	defer d.unlock()
	if d.hdr.flags&flagDirty == 0 {
		return nil
	}
	// writeLock recovered the file unless it was trusted: DIRTY now
	// means ours.
	if err := d.sync(); err != nil {
		return err
	}
	d.hdr.flags &^= flagDirty
	if err := d.commitHeader(); err != nil {
		return err
	}
	d.distrust()
	return nil
}

// deferring tells whether commits of this handle defer their syncs.
func (d *DB) deferring() bool {
	return d.opts.Flags&cyrusdb.DeferSync != 0 && !time.Now().Before(d.pausedUntil)
}

// pauseDeferral is how long a DeferSync handle commits as usual after it
// found that another writer had been at the file.
const pauseDeferral = 10 * time.Second

// noticeOtherWriters runs at the write lock of a DeferSync handle, with
// the header just read: if this process left the file DIRTY and it is
// not so any more, someone else wrote (or recovered) it.
func (d *DB) noticeOtherWriters() {
	if d.opts.Flags&cyrusdb.DeferSync == 0 {
		return
	}
	if _, ours := chainedFiles.Load(fileID{d.dev, d.ino}); ours && !d.trusted() {
		d.distrust()
		d.pausedUntil = time.Now().Add(pauseDeferral)
	}
}
