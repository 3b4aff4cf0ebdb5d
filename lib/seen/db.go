package seen

import (
	"errors"
	"fmt"

	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends" // seenstate_db may name any backend
)

// DB is one user's open seen database.
type DB struct {
	db *cyrusdb.DB
}

// Open opens the seen database at path (Cyrus seen_open), with backend
// seenstate_db ("" = twoskip); create makes it (and its directory) if
// missing, otherwise a missing file gives cyrusdb.ErrNotFound.
func Open(path, backend string, create bool) (*DB, error) {
	if backend == "" {
		backend = "twoskip"
	}
	fl := cyrusdb.Convert
	if create {
		fl |= cyrusdb.Create
		if err := cyrusdb.MkdirParents(path); err != nil {
			return nil, err
		}
	}
	db, err := cyrusdb.Open(path, backend, fl)
	if err != nil {
		return nil, fmt.Errorf("seen: open %s: %w", path, err)
	}
	return &DB{db: db}, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Read returns the seen state of a mailbox; a mailbox without a record
// has the zero Data.
func (d *DB) Read(uniqueid string) (Data, error) {
	v, err := d.db.Fetch([]byte(uniqueid))
	if errors.Is(err, cyrusdb.ErrNotFound) {
		return Data{}, nil
	}
	if err != nil {
		return Data{}, err
	}
	return Parse(v)
}

// Write stores the seen state of a mailbox.
func (d *DB) Write(uniqueid string, sd Data) error {
	return d.db.Store([]byte(uniqueid), sd.Encode())
}

// Modify reads, changes and writes one record under the write lock.
func (d *DB) Modify(uniqueid string, fn func(sd *Data) error) error {
	tx, err := d.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Abort()
	var sd Data
	v, err := tx.Fetch([]byte(uniqueid))
	switch {
	case err == nil:
		if sd, err = Parse(v); err != nil {
			return err
		}
	case !errors.Is(err, cyrusdb.ErrNotFound):
		return err
	}
	if err := fn(&sd); err != nil {
		return err
	}
	if err := tx.Store([]byte(uniqueid), sd.Encode()); err != nil {
		return err
	}
	return tx.Commit()
}

// Delete removes a mailbox's record (Cyrus seen_delete_mailbox).
func (d *DB) Delete(uniqueid string) error {
	err := d.db.Delete([]byte(uniqueid))
	if errors.Is(err, cyrusdb.ErrNotFound) {
		err = nil
	}
	return err
}

// Foreach calls fn for each record in key order; unparsable records are
// skipped.
func (d *DB) Foreach(fn func(uniqueid string, sd Data) error) error {
	return d.db.Foreach(nil, func(k, v []byte) error {
		sd, err := Parse(v)
		if err != nil {
			return nil
		}
		return fn(string(k), sd)
	})
}
