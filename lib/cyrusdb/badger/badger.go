// Package badger is a Gyrus-only cyrusdb backend on Badger
// (github.com/dgraph-io/badger/v4), for stores owned by ONE process: the
// squatter search index tiers and other single-owner data (DESIGN.md §3).
// The database "file" is a directory.
//
// Invariants and locks:
//   - Badger locks its directory (flock) when it opens it. A second
//     process that opens the same directory gets cyrusdb.ErrLocked, never
//     a shared, corrupting writer. Within one process all handles on a
//     directory share one Badger instance (reference counted).
//   - Write transactions of one instance are serialised by a mutex held
//     from Begin to Commit/Abort (cyrusdb's exclusive-writer semantics;
//     Badger's optimistic conflicts never arise). Read transactions are
//     snapshots and run concurrently with everything.
//   - Commit is durable (SyncWrites) unless cyrusdb.NoSync is given.
//   - Keys iterate in raw byte order; MboxSort is refused.
//   - Memory: small memtables and caches (see options), tuned for many
//     small stores per machine rather than one big one.
package badger

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	bdg "github.com/dgraph-io/badger/v4"

	"gyrus/lib/cyrusdb"
)

func init() {
	cyrusdb.Register(cyrusdb.Backend{
		Name: "badger",
		Open: func(path string, o cyrusdb.Options) (cyrusdb.Engine, error) { return Open(path, o) },
	})
}

type instance struct {
	db    *bdg.DB
	refs  int
	write sync.Mutex
}

var (
	instMu    sync.Mutex
	instances = map[string]*instance{}
)

// Options returns the Badger options Gyrus uses for dir: memtables of
// 8 MiB (two), an 8 MiB block cache, a 4 MiB index cache, 64 MiB value
// log files, values over 1 KiB kept in the value log, no logger.
func Options(dir string, o cyrusdb.Options) bdg.Options {
	return bdg.DefaultOptions(dir).
		WithLogger(nil).
		WithSyncWrites(o.Flags&cyrusdb.NoSync == 0).
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(4 << 20).
		WithValueLogFileSize(64 << 20).
		WithValueThreshold(1 << 10).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(5).
		WithNumCompactors(2).
		WithBaseTableSize(4 << 20)
}

// DB is a handle on a Badger directory.
type DB struct {
	path string
	inst *instance
	txn  *txn
}

// Open opens (with cyrusdb.Create, creates) the Badger store in directory
// path.
func Open(path string, o cyrusdb.Options) (*DB, error) {
	if o.Flags&cyrusdb.MboxSort != 0 {
		return nil, errors.New("badger: mailbox sort order is not supported")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	instMu.Lock()
	defer instMu.Unlock()
	if in, ok := instances[abs]; ok {
		in.refs++
		return &DB{path: abs, inst: in}, nil
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if o.Flags&cyrusdb.Create == 0 {
			return nil, fmt.Errorf("badger: %w: %w", cyrusdb.ErrNotFound, err)
		}
	case err != nil:
		return nil, fmt.Errorf("badger: %w", err)
	case !st.IsDir():
		return nil, fmt.Errorf("badger: %s: %w", abs, cyrusdb.ErrFormat)
	}
	db, err := bdg.Open(Options(abs, o))
	if err != nil {
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return nil, fmt.Errorf("badger: %s: %w (%v)", abs, cyrusdb.ErrLocked, err)
		}
		return nil, fmt.Errorf("badger: open %s: %w", abs, err)
	}
	in := &instance{db: db, refs: 1}
	instances[abs] = in
	return &DB{path: abs, inst: in}, nil
}

// Compare is raw byte order.
func (d *DB) Compare(a, b []byte) int { return bytes.Compare(a, b) }

// Close drops this handle; the last one closes Badger.
func (d *DB) Close() error {
	if d.txn != nil {
		d.txn.Abort()
	}
	instMu.Lock()
	defer instMu.Unlock()
	if d.inst == nil {
		return nil
	}
	in := d.inst
	d.inst = nil
	if in.refs--; in.refs > 0 {
		return nil
	}
	delete(instances, d.path)
	return in.db.Close()
}

// Repack runs Badger's value-log garbage collection until it finds
// nothing to rewrite.
func (d *DB) Repack() error {
	for {
		if err := d.inst.db.RunValueLogGC(0.5); err != nil {
			if errors.Is(err, bdg.ErrNoRewrite) {
				return nil
			}
			return err
		}
	}
}

type txn struct {
	d     *DB
	t     *bdg.Txn
	write bool
}

// Begin starts a transaction; write transactions exclude each other.
func (d *DB) Begin(write bool) (cyrusdb.Txn, error) {
	if write {
		d.inst.write.Lock()
	}
	t := &txn{d: d, t: d.inst.db.NewTransaction(write), write: write}
	d.txn = t
	return t, nil
}

func (t *txn) Fetch(key []byte) ([]byte, error) {
	it, err := t.t.Get(key)
	if errors.Is(err, bdg.ErrKeyNotFound) {
		return nil, cyrusdb.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("badger: %w", err)
	}
	v, err := it.ValueCopy(nil)
	if v == nil {
		v = []byte{}
	}
	return v, err
}

func (t *txn) Foreach(prefix []byte, fn func(k, v []byte) error) error {
	return t.ForeachFrom(prefix, nil, fn)
}

func (t *txn) ForeachFrom(prefix, after []byte, fn func(k, v []byte) error) error {
	opts := bdg.DefaultIteratorOptions
	opts.Prefix = prefix
	opts.PrefetchValues = false
	it := t.t.NewIterator(opts)
	defer it.Close()
	start := prefix
	if after != nil {
		start = after
	}
	for it.Seek(start); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		k := item.KeyCopy(nil)
		if after != nil && bytes.Equal(k, after) {
			continue
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return fmt.Errorf("badger: %w", err)
		}
		if v == nil {
			v = []byte{}
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) Store(key, val []byte) error {
	if !t.write {
		return cyrusdb.ErrReadOnly
	}
	err := t.t.Set(append([]byte{}, key...), append([]byte{}, val...))
	if errors.Is(err, bdg.ErrTxnTooBig) {
		// Cyrus transactions can be large (a whole conversion): commit
		// what we have and go on in a new Badger transaction. Atomicity
		// is then per chunk.
		if err = t.t.Commit(); err == nil {
			t.t = t.d.inst.db.NewTransaction(true)
			err = t.t.Set(append([]byte{}, key...), append([]byte{}, val...))
		}
	}
	return err
}

func (t *txn) Create(key, val []byte) error {
	if _, err := t.Fetch(key); err == nil {
		return cyrusdb.ErrExists
	} else if !errors.Is(err, cyrusdb.ErrNotFound) {
		return err
	}
	return t.Store(key, val)
}

func (t *txn) Delete(key []byte) error {
	if !t.write {
		return cyrusdb.ErrReadOnly
	}
	err := t.t.Delete(append([]byte{}, key...))
	if errors.Is(err, bdg.ErrTxnTooBig) {
		if err = t.t.Commit(); err == nil {
			t.t = t.d.inst.db.NewTransaction(true)
			err = t.t.Delete(append([]byte{}, key...))
		}
	}
	return err
}

func (t *txn) done() {
	if t.write {
		t.d.inst.write.Unlock()
	}
	t.d.txn = nil
}

func (t *txn) Commit() error {
	if t.d.txn != t {
		return cyrusdb.ErrTxDone
	}
	defer t.done()
	if !t.write {
		t.t.Discard()
		return nil
	}
	return t.t.Commit()
}

func (t *txn) Abort() error {
	if t.d.txn != t {
		return nil
	}
	t.t.Discard()
	t.done()
	return nil
}
