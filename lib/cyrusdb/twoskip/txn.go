package twoskip

import (
	"errors"
	"fmt"
	"runtime/debug"

	"gyrus/lib/cyrusdb"
)

var errExists = cyrusdb.ErrExists

func init() {
	cyrusdb.Register(cyrusdb.Backend{
		Name:  "twoskip",
		Open:  func(path string, o cyrusdb.Options) (cyrusdb.Engine, error) { return Open(path, o) },
		Magic: cyrusdb.MagicTwoskip,
	})
}

// Open opens the twoskip file at path (creating it with cyrusdb.Create).
func Open(path string, o cyrusdb.Options) (*DB, error) { return open(path, o) }

// Compare is the key order of this file.
func (d *DB) Compare(a, b []byte) int { return d.cmp(a, b) }

// Close closes the file.
func (d *DB) Close() error {
	if d.txn != nil {
		d.abortTxn()
	}
	var err error
	if d.opts.Flags&cyrusdb.DeferSync != 0 {
		err = d.Settle()
	}
	d.unlock()
	d.closeFile()
	return err
}

type txn struct {
	d      *DB
	write  bool
	wrote  bool  // something was appended (the file is marked DIRTY)
	failed error // a write failed: the transaction can only be aborted
}

// Begin takes the exclusive (write) or shared lock and starts a
// transaction; the lock is held until Commit or Abort.
func (d *DB) Begin(write bool) (t cyrusdb.Txn, err error) {
	defer guard(&err, debug.SetPanicOnFault(true))
	if d.txn != nil {
		return nil, errors.New("twoskip: transaction already open on this handle")
	}
	if d.f == nil {
		return nil, fmt.Errorf("twoskip: %s is closed", d.path)
	}
	if write {
		err = d.writeLock()
	} else {
		err = d.readLock()
	}
	if err != nil {
		return nil, err
	}
	d.txn = &txn{d: d, write: write}
	return d.txn, nil
}

func (t *txn) Fetch(key []byte) (v []byte, err error) {
	d := t.d
	defer guard(&err, debug.SetPanicOnFault(true))
	if err := d.findLoc(key); err != nil {
		return nil, err
	}
	if !d.loc.exact {
		return nil, cyrusdb.ErrNotFound
	}
	return append([]byte{}, d.val(&d.loc.rec)...), nil
}

func (t *txn) FetchNext(key []byte) (k, v []byte, err error) {
	d := t.d
	defer guard(&err, debug.SetPanicOnFault(true))
	if err := d.findLoc(key); err != nil {
		return nil, nil, err
	}
	if err := d.advance(); err != nil {
		return nil, nil, err
	}
	if !d.loc.exact {
		return nil, nil, cyrusdb.ErrNotFound
	}
	return append([]byte{}, d.key(&d.loc.rec)...), append([]byte{}, d.val(&d.loc.rec)...), nil
}

func (t *txn) Foreach(prefix []byte, fn func(k, v []byte) error) error {
	return t.ForeachFrom(prefix, nil, fn)
}

// ForeachFrom iterates the keys with prefix that sort after `after` (all
// of them when after is nil).
func (t *txn) ForeachFrom(prefix, after []byte, fn func(k, v []byte) error) (err error) {
	d := t.d
	defer guard(&err, debug.SetPanicOnFault(true))
	start := prefix
	if after != nil {
		start = after
	}
	if err := d.findLoc(start); err != nil {
		return err
	}
	if !d.loc.exact || after != nil {
		if err := d.advance(); err != nil {
			return err
		}
	}
	var prev []byte
	for d.loc.exact {
		k := d.key(&d.loc.rec)
		if len(prefix) > 0 && !cyrusdb.HasPrefix(k, prefix) {
			return nil
		}
		if prev != nil && d.cmp(k, prev) <= 0 {
			return d.corrupt(d.loc.rec.off, "keys out of order")
		}
		prev = append(prev[:0], k...)
		d.iterating++
		err := fn(k, d.val(&d.loc.rec))
		d.iterating--
		if err != nil {
			return err
		}
		// The callback may have written through this transaction.
		if err := d.findLoc(prev); err != nil {
			return err
		}
		if err := d.advance(); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) writeOp(key, val []byte, overwrite bool) (err error) {
	if !t.write {
		return cyrusdb.ErrReadOnly
	}
	if t.failed != nil {
		return t.failed
	}
	d := t.d
	defer guard(&err, debug.SetPanicOnFault(true))
	err = d.write(key, val, overwrite)
	if err != nil && err != errExists {
		t.failed = fmt.Errorf("twoskip: transaction failed earlier: %w", err)
	}
	return err
}

func (t *txn) Store(key, val []byte) error  { return t.writeOp(key, val, true) }
func (t *txn) Create(key, val []byte) error { return t.writeOp(key, val, false) }
func (t *txn) Delete(key []byte) error      { return t.writeOp(key, nil, true) }

func (t *txn) Commit() (err error) {
	d := t.d
	if d.txn != t {
		return cyrusdb.ErrTxDone
	}
	defer guard(&err, debug.SetPanicOnFault(true))
	if t.failed != nil {
		d.abortTxn()
		return t.failed
	}
	if err := d.commitTxn(); err != nil {
		d.abortTxn()
		return err
	}
	d.txn = nil
	d.unlock()
	if d.opts.Flags&cyrusdb.NoCompact == 0 && d.hdr.currentSize > minRewrite &&
		d.hdr.currentSize > 2*d.hdr.repackSize {
		// Cyrus delays this to when the process is idle; we do it now,
		// after the commit is already durable. A failure leaves the
		// committed file as it is.
		d.checkpointIfNeeded()
	}
	return nil
}

func (t *txn) Abort() (err error) {
	d := t.d
	if d.txn != t {
		return nil
	}
	defer guard(&err, debug.SetPanicOnFault(true))
	return d.abortTxn()
}

// commitTxn appends the COMMIT record, writes what the append buffer
// holds, syncs, then writes the header with the new current_size and
// DIRTY clear, and syncs again (DeferSync: defer.go).
func (d *DB) commitTxn() error {
	if !d.txn.write || !d.txn.wrote {
		return nil
	}
	if d.deferring() {
		return d.commitDeferred()
	}
	if err := d.appendCommit(); err != nil {
		return err
	}
	if err := d.sync(); err != nil {
		return err
	}
	d.hdr.currentSize = d.end
	d.hdr.flags &^= flagDirty | flagTxn
	return d.commitHeader()
}

// appendCommit appends the COMMIT record (pointing back at the start of
// the transaction) and writes out what the append buffer holds.
func (d *DB) appendCommit() error {
	ptrs := [1]uint64{d.hdr.currentSize}
	if _, err := d.appendRecord(typeCommit, 0, ptrs[:], nil, nil); err != nil {
		return err
	}
	if err := d.flush(); err != nil {
		return err
	}
	d.dropBuffer()
	return nil
}

// abortTxn forgets everything after current_size (the unwritten appends
// at once, the written ones by recovery, which truncates them) and
// releases the lock.
func (d *DB) abortTxn() error {
	d.txn = nil
	d.dropBuffer()
	d.end = d.hdr.currentSize
	var err error
	if d.lock == writeLocked {
		d.distrust() // (defer.go) recovery1 leaves the file clean
		_, err = d.recovery1()
	}
	d.loc = loc{key: d.loc.key[:0]}
	d.unlock()
	return err
}

// Consistent checks the whole structure under the shared lock.
func (d *DB) Consistent() (err error) {
	defer guard(&err, debug.SetPanicOnFault(true))
	if err := d.readLock(); err != nil {
		return err
	}
	defer d.unlock()
	return d.consistent()
}

// Repack rewrites the file without garbage (Cyrus checkpoint).
func (d *DB) Repack() (err error) {
	defer guard(&err, debug.SetPanicOnFault(true))
	if err := d.writeLock(); err != nil {
		return err
	}
	return d.checkpoint()
}

func (d *DB) checkpointIfNeeded() {
	if err := d.writeLock(); err != nil {
		return
	}
	if d.hdr.currentSize > minRewrite && d.hdr.currentSize > 2*d.hdr.repackSize {
		d.checkpoint()
		return
	}
	d.unlock()
}

// Header fields, for tools and tests.
type Info struct {
	Version     uint32
	Flags       uint32
	Generation  uint64
	NumRecords  uint64
	RepackSize  uint64
	CurrentSize uint64
}

// Info reads the header under the shared lock.
func (d *DB) Info() (Info, error) {
	if err := d.readLock(); err != nil {
		return Info{}, err
	}
	defer d.unlock()
	h := d.hdr
	return Info{h.version, h.flags, h.generation, h.numRecords, h.repackSize, h.currentSize}, nil
}
