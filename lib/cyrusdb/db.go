package cyrusdb

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// DB is an open database: one backend engine plus the mutex that lets one
// transaction at a time run on it. See the package doc for the rules.
type DB struct {
	mu      sync.Mutex // held from Begin to Commit/Abort
	state   sync.Mutex // guards closed and open
	open    *Tx
	eng     Engine
	path    string
	backend string
	opts    Options
	closed  bool
}

// Open opens the database at path with the named backend. See OpenWith.
func Open(path, backend string, flags Flags) (*DB, error) {
	return OpenWith(path, backend, Options{Flags: flags})
}

// OpenWith opens the database at path with the named backend. If the file
// turns out to be in another backend's format (by its magic), it is opened
// with that backend instead, or converted in place to the requested one
// when o.Flags has Convert (Cyrus does the same). A missing file without
// Create gives an error matching ErrNotFound and os.ErrNotExist.
func OpenWith(path, backend string, o Options) (*DB, error) {
	b, err := Lookup(backend)
	if err != nil {
		return nil, err
	}
	eng, err := b.Open(path, o)
	if err != nil && errors.Is(err, ErrFormat) {
		real, derr := Detect(path)
		if derr != nil || real == "" || real == backend {
			return nil, err
		}
		if o.Flags&Convert != 0 {
			if cerr := ConvertFile(path, real, path, backend, o); cerr != nil {
				return nil, fmt.Errorf("open %s: convert from %s to %s: %w", path, real, backend, cerr)
			}
		} else {
			backend = real
			if b, err = Lookup(real); err != nil {
				return nil, err
			}
		}
		eng, err = b.Open(path, o)
	}
	if err != nil {
		return nil, err
	}
	return &DB{eng: eng, path: path, backend: backend, opts: o}, nil
}

// Path is the file (or for quotalegacy, the base path) the DB was opened on.
func (db *DB) Path() string { return db.path }

// Backend is the name of the backend in use (it may differ from the one
// asked for, see OpenWith).
func (db *DB) Backend() string { return db.backend }

// Engine gives access to the backend engine, for optional interfaces.
func (db *DB) Engine() Engine { return db.eng }

// Sync makes the commits of a DeferSync handle durable (an fsync of the
// file); for other handles, whose commits are durable already, it does
// nothing.
func (db *DB) Sync() error {
	return db.settler(func(s Settler) error { return s.Sync() })
}

// Settle makes the commits of a DeferSync handle durable and marks the
// file clean, as Cyrus expects it between transactions; for other
// handles it does nothing. Call it when the handle falls idle.
func (db *DB) Settle() error {
	return db.settler(func(s Settler) error { return s.Settle() })
}

func (db *DB) settler(fn func(Settler) error) error {
	s, ok := db.eng.(Settler)
	if !ok || db.opts.Flags&DeferSync == 0 {
		return nil
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	db.state.Lock()
	closed := db.closed
	db.state.Unlock()
	if closed {
		return nil // Close has settled it
	}
	return fn(s)
}

// ErrTxOpen is returned by Close while a transaction is still open.
var ErrTxOpen = errors.New("cyrusdb: close with a transaction still open")

// Close closes the database. It fails with ErrTxOpen (and closes nothing)
// while a transaction is open: finish it first.
func (db *DB) Close() error {
	db.state.Lock()
	if db.closed {
		db.state.Unlock()
		return nil
	}
	if db.open != nil {
		db.state.Unlock()
		return ErrTxOpen
	}
	db.closed = true
	db.state.Unlock()
	// Wait for a Begin that is between taking mu and registering.
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.eng.Close()
}

// Tx is a transaction. It holds the DB's mutex and the backend's lock until
// Commit or Abort.
type Tx struct {
	db    *DB
	t     Txn
	write bool
	done  bool
}

var errClosed = errors.New("cyrusdb: database is closed")

func (db *DB) begin(write bool) (*Tx, error) {
	db.mu.Lock()
	db.state.Lock()
	closed := db.closed
	db.state.Unlock()
	if closed {
		db.mu.Unlock()
		return nil, errClosed
	}
	t, err := db.eng.Begin(write)
	if err != nil {
		db.mu.Unlock()
		return nil, err
	}
	tx := &Tx{db: db, t: t, write: write}
	db.state.Lock()
	db.open = tx
	db.state.Unlock()
	return tx, nil
}

func (tx *Tx) finish() {
	tx.db.state.Lock()
	tx.db.open = nil
	tx.db.state.Unlock()
	tx.db.mu.Unlock()
}

// Begin starts a write transaction (exclusive lock).
func (db *DB) Begin() (*Tx, error) { return db.begin(true) }

// BeginRead starts a read transaction (shared lock); writes in it fail
// with ErrReadOnly.
func (db *DB) BeginRead() (*Tx, error) { return db.begin(false) }

func (tx *Tx) check() error {
	if tx.done {
		return ErrTxDone
	}
	return nil
}

// Writable reports whether this is a write transaction.
func (tx *Tx) Writable() bool { return tx.write }

// Fetch returns a copy of key's value, or ErrNotFound.
func (tx *Tx) Fetch(key []byte) ([]byte, error) {
	if err := tx.check(); err != nil {
		return nil, err
	}
	if len(key) == 0 {
		return nil, ErrEmptyKey
	}
	return tx.t.Fetch(key)
}

// FetchNext returns the first key after key (in the database's order) and
// its value, or ErrNotFound at the end. An empty key gives the first key.
func (tx *Tx) FetchNext(key []byte) ([]byte, []byte, error) {
	if err := tx.check(); err != nil {
		return nil, nil, err
	}
	if n, ok := tx.t.(Nexter); ok {
		return n.FetchNext(key)
	}
	// Generic fallback: scan.
	var rk, rv []byte
	cmp := tx.db.eng.Compare
	stop := errors.New("stop")
	err := tx.t.Foreach(nil, func(k, v []byte) error {
		if len(key) == 0 || cmp(k, key) > 0 {
			rk, rv = append([]byte(nil), k...), append([]byte(nil), v...)
			return stop
		}
		return nil
	})
	if err != nil && err != stop {
		return nil, nil, err
	}
	if rk == nil {
		return nil, nil, ErrNotFound
	}
	return rk, rv, nil
}

// Foreach calls fn for every key that starts with prefix (all keys for an
// empty prefix) in order, inside the transaction. fn returning an error
// stops the iteration and Foreach returns that error. key and val are
// valid only during the call.
func (tx *Tx) Foreach(prefix []byte, fn func(key, val []byte) error) error {
	if err := tx.check(); err != nil {
		return err
	}
	return tx.t.Foreach(prefix, fn)
}

// Store sets key to val (val may be empty).
func (tx *Tx) Store(key, val []byte) error {
	if err := tx.checkWrite(key); err != nil {
		return err
	}
	if val == nil {
		val = []byte{}
	}
	return tx.t.Store(key, val)
}

// Create sets key to val unless key exists (ErrExists).
func (tx *Tx) Create(key, val []byte) error {
	if err := tx.checkWrite(key); err != nil {
		return err
	}
	if val == nil {
		val = []byte{}
	}
	return tx.t.Create(key, val)
}

// Delete removes key; deleting a missing key is not an error.
func (tx *Tx) Delete(key []byte) error {
	if err := tx.checkWrite(key); err != nil {
		return err
	}
	return tx.t.Delete(key)
}

func (tx *Tx) checkWrite(key []byte) error {
	if err := tx.check(); err != nil {
		return err
	}
	if !tx.write {
		return ErrReadOnly
	}
	if len(key) == 0 {
		return ErrEmptyKey
	}
	return nil
}

// Commit makes the transaction's writes durable and releases its locks.
// Whatever it returns, the transaction is over.
func (tx *Tx) Commit() error {
	if err := tx.check(); err != nil {
		return err
	}
	tx.done = true
	defer tx.finish()
	return tx.t.Commit()
}

// Abort drops the transaction's writes and releases its locks. Aborting a
// finished transaction is a no-op, so `defer tx.Abort()` is fine.
func (tx *Tx) Abort() error {
	if tx.done {
		return nil
	}
	tx.done = true
	defer tx.finish()
	return tx.t.Abort()
}

// Fetch reads key in its own read transaction.
func (db *DB) Fetch(key []byte) ([]byte, error) {
	tx, err := db.BeginRead()
	if err != nil {
		return nil, err
	}
	defer tx.Abort()
	return tx.Fetch(key)
}

// FetchLock starts a write transaction and fetches key in it: the caller
// means to change it and must Commit or Abort the returned Tx (also when
// the error is ErrNotFound; on any other error tx is nil).
func (db *DB) FetchLock(key []byte) (*Tx, []byte, error) {
	tx, err := db.Begin()
	if err != nil {
		return nil, nil, err
	}
	v, err := tx.Fetch(key)
	if err != nil && !errors.Is(err, ErrNotFound) {
		tx.Abort()
		return nil, nil, err
	}
	return tx, v, err
}

func (db *DB) write(fn func(tx *Tx) error) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Abort()
		return err
	}
	return tx.Commit()
}

// Store sets key to val in its own transaction.
func (db *DB) Store(key, val []byte) error {
	return db.write(func(tx *Tx) error { return tx.Store(key, val) })
}

// Create sets key to val in its own transaction unless key exists.
func (db *DB) Create(key, val []byte) error {
	return db.write(func(tx *Tx) error { return tx.Create(key, val) })
}

// Delete removes key in its own transaction.
func (db *DB) Delete(key []byte) error {
	return db.write(func(tx *Tx) error { return tx.Delete(key) })
}

// foreachBatch is how many records DB.Foreach reads under one lock.
const foreachBatch = 256

type kv struct{ k, v []byte }

// Foreach calls fn for each key starting with prefix, in order. Records
// are read in batches under short read transactions and fn runs with no
// lock held, so fn may change the database through db; changes after the
// current key are seen, as in Cyrus. An error from fn stops the iteration
// and is returned.
func (db *DB) Foreach(prefix []byte, fn func(key, val []byte) error) error {
	var after []byte // last key handed out
	for {
		batch, more, err := db.readBatch(prefix, after)
		if err != nil {
			return err
		}
		for _, r := range batch {
			if err := fn(r.k, r.v); err != nil {
				return err
			}
		}
		if !more || len(batch) == 0 {
			return nil
		}
		after = batch[len(batch)-1].k
	}
}

var errBatchFull = errors.New("batch full")

func (db *DB) readBatch(prefix, after []byte) ([]kv, bool, error) {
	tx, err := db.BeginRead()
	if err != nil {
		return nil, false, err
	}
	defer tx.Abort()
	// The copies of a batch share a few buffers instead of taking two
	// allocations per record; a full buffer is left to the slices
	// already cut from it and a bigger one started.
	batch := make([]kv, 0, foreachBatch)
	var buf []byte
	take := func(k, v []byte) error {
		if len(batch) == foreachBatch {
			return errBatchFull
		}
		if cap(buf)-len(buf) < len(k)+len(v) {
			buf = make([]byte, 0, max(2*cap(buf), len(k)+len(v), 4096))
		}
		s := len(buf)
		buf = append(append(buf, k...), v...)
		m := s + len(k)
		batch = append(batch, kv{buf[s:m:m], buf[m:len(buf):len(buf)]})
		return nil
	}
	if after == nil {
		err = tx.t.Foreach(prefix, take)
	} else {
		// Resume after the last key handed out.
		if sk, ok := tx.t.(Seeker); ok {
			err = sk.ForeachFrom(prefix, after, take)
		} else {
			err = tx.t.Foreach(prefix, func(k, v []byte) error {
				if db.eng.Compare(k, after) <= 0 {
					return nil
				}
				return take(k, v)
			})
		}
	}
	if err == errBatchFull {
		return batch, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return batch, false, nil
}

// Consistent checks the database structure (backends without a check
// report nil, as Cyrus does).
func (db *DB) Consistent() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if c, ok := db.eng.(Checker); ok {
		return c.Consistent()
	}
	return nil
}

// Repack rewrites the database without garbage (Cyrus checkpoint/repack);
// a no-op for backends that have nothing to repack.
func (db *DB) Repack() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if r, ok := db.eng.(Repacker); ok {
		return r.Repack()
	}
	return nil
}

// Dump prints the backend's internal layout (cyr_dbtool dump); backends
// without one print nothing.
func (db *DB) Dump(w io.Writer, level int) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if d, ok := db.eng.(Dumper); ok {
		return d.Dump(w, level)
	}
	return nil
}

// MkdirParents creates the directories above path (mode 0755 before
// umask), as Cyrus's cyrus_mkdir does before creating a database file.
func MkdirParents(path string) error {
	for i := len(path) - 1; i > 0; i-- {
		if path[i] == '/' {
			return os.MkdirAll(path[:i], 0o755)
		}
	}
	return nil
}
