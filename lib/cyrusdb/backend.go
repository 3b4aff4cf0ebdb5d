package cyrusdb

import (
	"fmt"
	"io"
	"sort"
	"sync"
)

// Flags are the open flags (Cyrus CYRUSDB_* open flags).
type Flags uint

const (
	// Create the database file (and its parent directories) if missing.
	Create Flags = 1 << iota
	// MboxSort orders keys in Cyrus's mailbox order instead of raw bytes.
	MboxSort
	// Convert: if the file exists in another backend's format, convert it
	// in place to the requested backend instead of opening it as it is.
	Convert
	// NoCompact disables the automatic checkpoint (repack) after commits.
	NoCompact
	// NoSync skips fsync. The files stay consistent after a crash of the
	// process (the kernel keeps the writes), but not after a power loss.
	// For tests, benchmarks and scratch databases only.
	NoSync
	// DeferSync: Commit returns once the transaction is complete in the
	// file, before it is durable, and leaves the file marked dirty
	// between transactions so that the next one need not sync that
	// mark first. The handles of this process know such a file is
	// consistent; other processes recover it (at no loss) when they
	// open it. The caller makes each commit durable itself before it
	// relies on it (DB.Sync, or a sync of the file system that holds
	// the file, started after Commit returned), and the file is marked
	// clean again by DB.Settle or Close. Only for a long-lived process
	// that commits often (lmtpd's deliver.db); twoskip only, the others
	// sync at every commit as usual.
	DeferSync
)

// Settler is implemented by engines that can defer the sync of their
// commits (see DeferSync).
type Settler interface {
	// Sync makes every commit so far durable.
	Sync() error
	// Settle makes every commit so far durable and marks the file clean.
	Settle() error
}

// Options are everything Open can be told. Flags is the common part; the
// rest concerns single backends.
type Options struct {
	Flags Flags
	// FullDirHash and VirtDomains are the imapd.conf switches of the same
	// name; quotalegacy derives its file paths from them.
	FullDirHash bool
	VirtDomains bool
}

// Engine is an open database of one backend.
type Engine interface {
	// Begin starts a transaction: write=true takes the exclusive lock,
	// write=false the shared one. At most one transaction of an Engine is
	// open at a time (DB guarantees it).
	Begin(write bool) (Txn, error)
	// Close releases the file. No transaction may be open.
	Close() error
	// Compare orders two keys the way this database iterates them.
	Compare(a, b []byte) int
}

// Seeker is implemented by transactions that can start an iteration just
// after a given key (DB.Foreach resumes its batches with it).
type Seeker interface {
	ForeachFrom(prefix, after []byte, fn func(key, val []byte) error) error
}

// Txn is one transaction of an Engine.
type Txn interface {
	// Fetch returns the value of key (a copy) or ErrNotFound.
	Fetch(key []byte) ([]byte, error)
	// Foreach calls fn for each key starting with prefix, in order, until
	// fn returns an error (returned as is). fn may write through this Txn;
	// writes after the current key are then seen by the iteration.
	Foreach(prefix []byte, fn func(key, val []byte) error) error
	// Store sets key to val.
	Store(key, val []byte) error
	// Create sets key to val, or fails with ErrExists.
	Create(key, val []byte) error
	// Delete removes key; a missing key is not an error.
	Delete(key []byte) error
	Commit() error
	Abort() error
}

// Nexter is implemented by transactions that can find the first key after
// a given one (Cyrus fetchnext).
type Nexter interface {
	FetchNext(key []byte) (k, v []byte, err error)
}

// Checker is implemented by engines that can check their structure
// (Cyrus "consistent"). It takes the shared lock itself.
type Checker interface {
	Consistent() error
}

// Repacker is implemented by engines that can rewrite their file without
// garbage (Cyrus "repack"/checkpoint). It takes the exclusive lock itself.
type Repacker interface {
	Repack() error
}

// Dumper is implemented by engines that can print their internal layout
// (cyr_dbtool dump). level is Cyrus's detail level.
type Dumper interface {
	Dump(w io.Writer, level int) error
}

// Backend describes one registered backend.
type Backend struct {
	Name string
	// Open opens (or with Create, creates) the database at path.
	Open func(path string, o Options) (Engine, error)
	// Files lists the files that make up the database at path, for backup
	// archiving (nil: just path). quotalegacy has none worth archiving.
	Files func(path string) ([]string, error)
	// Magic is the file prefix that identifies this backend (nil when
	// the format has none).
	Magic []byte
	// ReadOnly marks backends that can only be read (skiplist).
	ReadOnly bool
}

var (
	regMu    sync.RWMutex
	registry = map[string]*Backend{}
)

// Register adds a backend; backends call it from init.
func Register(b Backend) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[b.Name]; dup {
		panic("cyrusdb: backend registered twice: " + b.Name)
	}
	registry[b.Name] = &b
}

// Lookup returns the registered backend of that name.
func Lookup(name string) (*Backend, error) {
	regMu.RLock()
	defer regMu.RUnlock()
	b, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("cyrusdb backend %s not supported", name)
	}
	return b, nil
}

// cyrusOrder is the order Cyrus lists its backends in (cyr_dbtool usage).
var cyrusOrder = map[string]int{"flat": 0, "skiplist": 1, "quotalegacy": 2, "twoskip": 3}

// Backends lists the registered backend names: Cyrus's in Cyrus's order,
// then the others alphabetically.
func Backends() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var names []string
	for n := range registry {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, aok := cyrusOrder[names[i]]
		b, bok := cyrusOrder[names[j]]
		switch {
		case aok && bok:
			return a < b
		case aok != bok:
			return aok
		}
		return names[i] < names[j]
	})
	return names
}
