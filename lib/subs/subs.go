package subs

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends" // subscription_db may name any backend
	"gyrus/lib/lockfile"
	"gyrus/lib/mboxname"
)

// VersionKey and Version are the version record of a 3.6 subscription
// database.
const (
	VersionKey = "\x1fVER\x1f"
	Version    = "2"
)

// DB is one user's open subscription database.
type DB struct {
	db      *cyrusdb.DB
	path    string
	backend string
	userid  string
	inbox   string // the owner's INBOX dbname
	ns      *mboxname.Namespace
}

// Options say where the database is and whose it is.
type Options struct {
	Path    string // the user's sub file
	Backend string // subscription_db ("" = flat)
	UserID  string
	NS      *mboxname.Namespace
	// UpgradeLock is the lock file taken while an old-format file is
	// upgraded (Layout.LockPath("$SUBS_UPGRADE$"+userid)); "" skips it.
	UpgradeLock string
	// Create makes a missing database (with its version key).
	Create bool
	NoSync bool
}

// ErrNoSubs: the user has no subscription database (and Create was not
// given).
var ErrNoSubs = errors.New("subs: no subscription database")

// Open opens a user's subscriptions (Cyrus mboxlist_opensubs), upgrading
// an old-format file.
func Open(o Options) (*DB, error) {
	if o.Backend == "" {
		o.Backend = "flat"
	}
	d := &DB{path: o.Path, backend: o.Backend, userid: o.UserID, ns: o.NS}
	d.inbox = o.NS.DBName(o.NS.FromUserID(o.UserID))
	var fl cyrusdb.Flags
	if o.NoSync {
		fl |= cyrusdb.NoSync
	}
	db, err := cyrusdb.Open(o.Path, o.Backend, fl)
	switch {
	case err == nil:
		d.db = db
		if err := d.upgrade(o); err != nil {
			d.db.Close()
			return nil, err
		}
		return d, nil
	case errors.Is(err, cyrusdb.ErrNotFound) && o.Create:
		if err := cyrusdb.MkdirParents(o.Path); err != nil {
			return nil, err
		}
		db, err = cyrusdb.Open(o.Path, o.Backend, fl|cyrusdb.Create)
		if err != nil {
			return nil, fmt.Errorf("subs: create %s: %w", o.Path, err)
		}
		if err := db.Store([]byte(VersionKey), []byte(Version)); err != nil {
			db.Close()
			return nil, err
		}
		d.db = db
		return d, nil
	case errors.Is(err, cyrusdb.ErrNotFound):
		return nil, ErrNoSubs
	default:
		return nil, fmt.Errorf("subs: open %s: %w", o.Path, err)
	}
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

func (d *DB) upgrade(o Options) error {
	if _, err := d.db.Fetch([]byte(VersionKey)); err == nil {
		return nil
	}
	if o.UpgradeLock != "" {
		os.MkdirAll(dirOf(o.UpgradeLock), 0o755)
		f, err := lockfile.OpenLocked(o.UpgradeLock, os.O_RDWR|os.O_CREATE, 0o666, lockfile.Exclusive)
		if err != nil {
			return fmt.Errorf("subs: upgrade lock: %w", err)
		}
		defer f.Close()
		// another process may have upgraded meanwhile: reopen and look
		d.db.Close()
		db, err := cyrusdb.Open(d.path, d.backend, 0)
		if err != nil {
			return err
		}
		d.db = db
		if _, err := d.db.Fetch([]byte(VersionKey)); err == nil {
			return nil
		}
	}
	newPath := d.path + ".NEW"
	os.Remove(newPath)
	var fl cyrusdb.Flags = cyrusdb.Create
	if o.NoSync {
		fl |= cyrusdb.NoSync
	}
	nd, err := cyrusdb.Open(newPath, d.backend, fl)
	if err != nil {
		return fmt.Errorf("subs: upgrade %s: %w", d.path, err)
	}
	tx, err := nd.Begin()
	if err != nil {
		nd.Close()
		return err
	}
	err = tx.Store([]byte(VersionKey), []byte(Version))
	if err == nil {
		err = d.db.Foreach(nil, func(k, v []byte) error {
			return tx.Store(d.key(d.ns.InternalToDB(string(k))), v)
		})
	}
	if err != nil {
		tx.Abort()
		nd.Close()
		os.Remove(newPath)
		return fmt.Errorf("subs: upgrade %s: %w", d.path, err)
	}
	if err := tx.Commit(); err != nil {
		nd.Close()
		return err
	}
	nd.Close()
	d.db.Close()
	if err := os.Rename(newPath, d.path); err != nil {
		return fmt.Errorf("subs: upgrade rename: %w", err)
	}
	db, err := cyrusdb.Open(d.path, d.backend, 0)
	if err != nil {
		return err
	}
	d.db = db
	return nil
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return "."
}

// key is Cyrus mboxlist_dbname_to_key with the owner's userid: a dbname
// starting with the owner's INBOX dbname (a plain byte prefix, as in
// Cyrus) has that part written "INBOX".
func (d *DB) key(dbname string) []byte {
	if strings.HasPrefix(dbname, d.inbox) {
		dbname = "INBOX" + dbname[len(d.inbox):]
	}
	return append([]byte{'N'}, dbname...)
}

// dbnameOf reverses key.
func (d *DB) dbnameOf(key []byte) string {
	if len(key) >= 6 && string(key[1:6]) == "INBOX" {
		return d.inbox + string(key[6:])
	}
	return string(key[1:])
}

// Add subscribes the user to internal mailbox name.
func (d *DB) Add(name string) error {
	return d.db.Store(d.key(d.ns.InternalToDB(name)), nil)
}

// Remove unsubscribes; a name not subscribed is not an error.
func (d *DB) Remove(name string) error {
	err := d.db.Delete(d.key(d.ns.InternalToDB(name)))
	if errors.Is(err, cyrusdb.ErrNotFound) {
		err = nil
	}
	return err
}

// Has reports whether name is subscribed.
func (d *DB) Has(name string) (bool, error) {
	_, err := d.db.Fetch(d.key(d.ns.InternalToDB(name)))
	if errors.Is(err, cyrusdb.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// List returns the subscribed internal names in database order (Cyrus
// mboxlist_sublist).
func (d *DB) List() ([]string, error) {
	var out []string
	err := d.db.Foreach([]byte{'N'}, func(k, _ []byte) error {
		out = append(out, d.ns.DBToInternal(d.dbnameOf(k)))
		return nil
	})
	return out, err
}
