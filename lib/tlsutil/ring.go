package tlsutil

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"time"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/log"
)

// keyRing is this process's view of the shared ticket keys. One mutex
// guards it; it is held across a database transaction only when the keys
// are (re)read or rotated, which happens at most once per rotation period
// and once per change of the file, never per handshake.
type keyRing struct {
	db      *cyrusdb.DB // nil: keys are private to this process
	timeout time.Duration
	rotate  time.Duration
	check   time.Duration // how often the file is stat'ed for changes
	now     func() time.Time

	mu      sync.Mutex
	keys    map[[keyIDLen]byte]*ticketKey
	current *ticketKey
	stamp   fileStamp // the file as it was just before the last read
	statAt  time.Time
	dbErrAt time.Time // last DBERROR logged, to log at most once a minute
}

// fileStamp identifies a version of the database file cheaply: twoskip
// writes in place (size and mtime change) and repacks by rename (inode
// changes).
type fileStamp struct {
	ino, size int64
	mtime     int64
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	st := fileStamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = int64(sys.Ino)
	}
	return st
}

func newKeyRing(db *cyrusdb.DB, timeout, check time.Duration, now func() time.Time) *keyRing {
	r := &keyRing{db: db, timeout: timeout, rotate: timeout / 2, check: check, now: now,
		keys: map[[keyIDLen]byte]*ticketKey{}}
	if r.rotate < time.Second {
		r.rotate = time.Second
	}
	return r
}

// sealKey returns the key new tickets are sealed with, rotating when the
// current one is past its use period.
func (r *keyRing) sealKey() (*ticketKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.refresh(now, false)
	if r.current == nil || !r.current.usable(now.Unix()) {
		if err := r.rotateLocked(now); err != nil {
			return nil, err
		}
	}
	return r.current, nil
}

// openKey returns the key with the given id if it may still open
// tickets. An unknown id makes the ring look at the file again (a stat,
// and a read only if the file changed): another process may have just
// rotated.
func (r *keyRing) openKey(id [keyIDLen]byte) *ticketKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.refresh(now, false)
	k := r.keys[id]
	if k == nil {
		r.refresh(now, true)
		k = r.keys[id]
	}
	if k == nil || !k.live(now.Unix()) {
		return nil
	}
	return k
}

// refresh re-reads the keys if the file changed since the last read;
// unless forced, it looks at the file at most every r.check.
func (r *keyRing) refresh(now time.Time, force bool) {
	if r.db == nil || (!force && now.Sub(r.statAt) < r.check && now.Sub(r.statAt) >= 0) {
		return
	}
	r.statAt = now
	st := stampOf(r.db.Path())
	if st == r.stamp {
		return
	}
	if err := r.loadLocked(now, st); err != nil {
		r.dbError("reading ticket keys", err)
	}
}

// loadLocked replaces the in-memory keys with the live ones in the file.
func (r *keyRing) loadLocked(now time.Time, st fileStamp) error {
	tx, err := r.db.BeginRead()
	if err != nil {
		return err
	}
	keys, err := readKeys(tx, now.Unix())
	tx.Abort()
	if err != nil {
		return err
	}
	r.install(keys, now)
	r.stamp = st
	return nil
}

// readKeys reads the live ticket keys through tx; broken records are
// logged and skipped.
func readKeys(tx *cyrusdb.Tx, now int64) (map[[keyIDLen]byte]*ticketKey, error) {
	keys := map[[keyIDLen]byte]*ticketKey{}
	err := tx.Foreach([]byte(KeyPrefix), func(key, val []byte) error {
		k, err := parseKeyRecord(key, val)
		if err != nil {
			log.Warn("tls ticket key skipped", "error", err.Error())
			return nil
		}
		if k.live(now) {
			keys[k.ID] = k
		}
		return nil
	})
	return keys, err
}

// install makes keys the ring's keys and picks the current one: the
// newest key usable now, so that every process picks the same.
func (r *keyRing) install(keys map[[keyIDLen]byte]*ticketKey, now time.Time) {
	r.keys = keys
	r.current = nil
	t := now.Unix()
	for _, k := range keys {
		if k.usable(t) && (r.current == nil || k.Created > r.current.Created ||
			k.Created == r.current.Created && string(k.ID[:]) > string(r.current.ID[:])) {
			r.current = k
		}
	}
}

// rotateLocked makes sure a usable key exists: under the database's
// write lock it re-reads the keys (another process may have rotated
// already) and adds a new one only if none is usable.
func (r *keyRing) rotateLocked(now time.Time) error {
	if r.db == nil {
		return r.rotateLocal(now)
	}
	st := stampOf(r.db.Path()) // before the read: a later change shows as a new stamp
	err := func() error {
		tx, err := r.db.Begin()
		if err != nil {
			return err
		}
		defer tx.Abort()
		keys, err := readKeys(tx, now.Unix())
		if err != nil {
			return err
		}
		r.install(keys, now)
		if r.current != nil {
			return tx.Abort()
		}
		k, err := newTicketKey(now, r.rotate, r.timeout)
		if err != nil {
			return err
		}
		if err := tx.Store(k.dbKey(), k.marshal()); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		keys[k.ID] = k
		r.current = k
		log.Debug("tls ticket key created", "expire", time.Unix(k.Expires, 0).UTC().Format(time.RFC3339))
		return nil
	}()
	if err != nil {
		r.dbError("rotating ticket keys", err)
		return r.rotateLocal(now)
	}
	r.stamp = st
	r.statAt = now
	return nil
}

// rotateLocal adds a key only this process knows: resumption then works
// only with this process, but TLS keeps working when the database fails.
func (r *keyRing) rotateLocal(now time.Time) error {
	k, err := newTicketKey(now, r.rotate, r.timeout)
	if err != nil {
		return err
	}
	t := now.Unix()
	for id, old := range r.keys {
		if !old.live(t) {
			delete(r.keys, id)
		}
	}
	r.keys[k.ID] = k
	r.current = k
	return nil
}

func (r *keyRing) dbError(what string, err error) {
	now := r.now()
	if !r.dbErrAt.IsZero() && now.Sub(r.dbErrAt) < time.Minute && now.Sub(r.dbErrAt) >= 0 {
		return
	}
	r.dbErrAt = now
	if errors.Is(err, cyrusdb.ErrLocked) {
		log.Printf(log.LevelErr, "DBERROR: %s in %s: locked", what, r.db.Path())
		return
	}
	log.Printf(log.LevelErr, "DBERROR: %s in %s: %v", what, r.db.Path(), err)
}
