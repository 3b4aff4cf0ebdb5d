package annotate

import (
	"errors"
	"fmt"
	"path/filepath"

	"gyrus/lib/annotate/codec"
	"gyrus/lib/config"
	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends" // annotation_db may name any backend
	"gyrus/lib/mailbox"
)

// DB is the open global annotations.db.
type DB struct {
	db *cyrusdb.DB
}

// Open opens (creating if missing) the database.
func Open(path, backend string) (*DB, error) {
	if backend == "" {
		backend = "twoskip"
	}
	db, err := cyrusdb.Open(path, backend, cyrusdb.Create|cyrusdb.Convert)
	if err != nil {
		return nil, fmt.Errorf("annotate: open %s: %w", path, err)
	}
	return &DB{db: db}, nil
}

// PathFromConfig returns annotation_db_path or its default.
func PathFromConfig(c *config.Config) (path, backend string) {
	path = c.AnnotationDbPath()
	if path == "" {
		path = filepath.Join(c.Configdirectory(), "annotations.db")
	}
	return path, c.AnnotationDb()
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Path is the database file.
func (d *DB) Path() string { return d.db.Path() }

// Target is what an annotation is attached to: a mailbox (its uniqueid
// and owner) or, when UniqueID is "", the server.
type Target struct {
	UniqueID string
	Owner    string // userid owning the mailbox ("" for shared mailboxes)
}

// Server is the target of server annotations.
var Server = Target{}

// storedUser maps a userid to its key form.
func (t Target) storedUser(userid string) string {
	if userid != "" && t.UniqueID != "" && t.Owner != "" && userid == t.Owner {
		return codec.OwnerToken
	}
	return userid
}

func (t Target) realUser(stored string) string {
	if stored == codec.OwnerToken {
		return t.Owner
	}
	return stored
}

// Get returns the value of entry for userid ("" = shared); ok is false
// when there is none.
func (d *DB) Get(t Target, entry, userid string) (value []byte, ok bool, err error) {
	v, err := d.db.Fetch(codec.Key(t.UniqueID, entry, t.storedUser(userid)))
	if errors.Is(err, cyrusdb.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	rec, err := codec.Decode(v)
	if err != nil {
		return nil, false, err
	}
	if rec.Deleted() || len(rec.Value) == 0 {
		return nil, false, nil
	}
	return rec.Value, true, nil
}

// Annotation is one stored annotation.
type Annotation struct {
	Entry  string
	UserID string // "" for the shared value
	Value  []byte
	ModSeq uint64
}

// List returns every annotation of t, in key order.
func (d *DB) List(t Target) ([]Annotation, error) {
	var out []Annotation
	err := d.db.Foreach(codec.Prefix(t.UniqueID), func(k, v []byte) error {
		_, entry, user, _, err := codec.SplitKey(k)
		if err != nil {
			return nil
		}
		rec, err := codec.Decode(v)
		if err != nil || rec.Deleted() {
			return nil
		}
		out = append(out, Annotation{Entry: entry, UserID: t.realUser(user), Value: rec.Value, ModSeq: rec.ModSeq})
		return nil
	})
	return out, err
}

// put writes or deletes one record and returns the old value's length.
func (d *DB) put(t Target, entry, userid string, value []byte, modseq uint64) (oldLen int, changed bool, err error) {
	key := codec.Key(t.UniqueID, entry, t.storedUser(userid))
	tx, err := d.db.Begin()
	if err != nil {
		return 0, false, err
	}
	defer tx.Abort()
	old, err := tx.Fetch(key)
	var oldVal []byte
	switch {
	case err == nil:
		if rec, err := codec.Decode(old); err == nil {
			oldVal = rec.Value
		}
	case !errors.Is(err, cyrusdb.ErrNotFound):
		return 0, false, err
	}
	if string(oldVal) == string(value) {
		return len(oldVal), false, nil
	}
	if len(value) == 0 {
		err = tx.Delete(key)
	} else {
		err = tx.Store(key, codec.Encode(value, modseq, 0))
	}
	if err != nil {
		return 0, false, err
	}
	return len(oldVal), true, tx.Commit()
}

// SetServer writes a server annotation; an empty value deletes it.
func (d *DB) SetServer(entry, userid string, value []byte) error {
	_, _, err := d.put(Server, entry, userid, value, 0)
	return err
}

// SetMailbox writes a mailbox annotation inside the mailbox's open write
// transaction tx (whose commit the caller does): the X-ANNOTATION-STORAGE
// growth is checked against the mailbox's quota root first (ErrOverQuota
// from lib/quota through lib/mailbox's hook), then the size change is
// recorded in the index (which takes a new modseq) and the record written.
// An empty value deletes the annotation.
func (d *DB) SetMailbox(tx *mailbox.Tx, t Target, entry, userid string, value []byte) error {
	cur, _, err := d.Get(t, entry, userid)
	if err != nil {
		return err
	}
	if string(cur) == string(value) {
		return nil
	}
	mb := tx.Mailbox()
	if q := mb.Options().Quota; q != nil && mb.QuotaRoot() != "" && len(value) > len(cur) {
		if err := q.Check(mb.QuotaRoot(), mailbox.Usage{AnnotStorage: int64(len(value) - len(cur))}); err != nil {
			return err
		}
	}
	oldLen, changed, err := d.put(t, entry, userid, value, 0)
	if err != nil || !changed {
		return err
	}
	tx.AddMailboxAnnotUsed(oldLen, len(value))
	return nil
}

// DeleteMailbox removes every annotation of a mailbox (after a real
// delete).
func (d *DB) DeleteMailbox(uniqueid string) error {
	if uniqueid == "" {
		return errors.New("annotate: empty uniqueid")
	}
	tx, err := d.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Abort()
	var keys [][]byte
	if err := tx.Foreach(codec.Prefix(uniqueid), func(k, _ []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	return tx.Commit()
}
