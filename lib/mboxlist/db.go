package mboxlist

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/flat"    // mboxlist_db may be flat
	_ "gyrus/lib/cyrusdb/twoskip" // the default mboxlist_db
	"gyrus/lib/mboxname"
)

// Errors of lookups, matching Cyrus's IMAP_MAILBOX_* codes.
var (
	// ErrNotFound: no such mailbox (Cyrus IMAP_MAILBOX_NONEXISTENT,
	// "Mailbox does not exist"). Lookup also gives it for tombstones
	// and intermediates.
	ErrNotFound = errors.New("Mailbox does not exist")
	// ErrReserved: the name is being created (Cyrus IMAP_MAILBOX_RESERVED).
	ErrReserved = errors.New("Mailbox is currently reserved")
	// ErrExists: Cyrus IMAP_MAILBOX_EXISTS.
	ErrExists = errors.New("Mailbox already exists")
	// ErrPermission: Cyrus IMAP_PERMISSION_DENIED.
	ErrPermission = errors.New("Permission denied")
	// ErrNotSupported: Cyrus IMAP_MAILBOX_NOTSUPPORTED (e.g. deleting
	// one's own INBOX, moving a user without allowusermoves).
	ErrNotSupported = errors.New("Operation is not supported on mailbox")
	// ErrPartition: Cyrus IMAP_PARTITION_UNKNOWN.
	ErrPartition = errors.New("Unknown/invalid partition")
)

// List is an open mailboxes.db (Cyrus's mboxlist API). It is safe for
// concurrent use; write operations are serialised by the database lock.
type List struct {
	s     Settings
	db    *cyrusdb.DB
	codec Codec
}

// Open opens (creating if missing) the mailboxes.db described by s.
func Open(s Settings) (*List, error) {
	if s.Backend == "" {
		s.Backend = "twoskip"
	}
	if s.Path == "" {
		s.Path = filepath.Join(s.Layout.ConfigDir, "mailboxes.db")
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Layout.NS.DeletedPrefix == "" {
		s.Layout.NS = mboxname.DefaultNamespace()
	}
	fl := cyrusdb.Create
	if s.NoSync {
		fl |= cyrusdb.NoSync
	}
	db, err := cyrusdb.Open(s.Path, s.Backend, fl)
	if err != nil {
		return nil, fmt.Errorf("mboxlist: open %s: %w", s.Path, err)
	}
	l := &List{s: s, db: db}
	l.codec = Codec{NS: &l.s.Layout.NS}
	return l, nil
}

// Close closes the database.
func (l *List) Close() error { return l.db.Close() }

// DB is the underlying database (for tools such as cyr_dbtool).
func (l *List) DB() *cyrusdb.DB { return l.db }

// Settings returns the settings the list was opened with.
func (l *List) Settings() *Settings { return &l.s }

// Codec is the record codec of this list.
func (l *List) Codec() Codec { return l.codec }

// NS is the namespace of the list.
func (l *List) NS() *mboxname.Namespace { return &l.s.Layout.NS }

func (l *List) dbname(intname string) string { return l.s.Layout.NS.InternalToDB(intname) }

// filter applies Cyrus's lookup rule: reservations, tombstones and
// intermediates are not mailboxes.
func filter(e *Entry) (*Entry, error) {
	switch {
	case e.Type&Reserved != 0:
		return nil, ErrReserved
	case e.Type&(Deleted|Intermediate) != 0:
		return nil, ErrNotFound
	}
	return e, nil
}

// Lookup returns the active mailbox of that internal name (Cyrus
// mboxlist_lookup): ErrNotFound for none, a tombstone or an
// intermediate, ErrReserved for a mailbox being created.
func (l *List) Lookup(name string) (*Entry, error) {
	e, err := l.LookupAll(name)
	if err != nil {
		return nil, err
	}
	return filter(e)
}

// LookupAll returns whatever record the name has, tombstones and
// intermediates included (Cyrus mboxlist_lookup_allow_all).
func (l *List) LookupAll(name string) (*Entry, error) {
	tx, err := l.db.BeginRead()
	if err != nil {
		return nil, err
	}
	defer tx.Abort()
	return l.lookupTx(tx, name)
}

// LookupID returns the I record of a uniqueid (Cyrus
// mboxlist_lookup_by_uniqueid): its current name and history. ErrReserved
// for a reservation; tombstones are returned (check Type).
func (l *List) LookupID(uniqueid string) (*Entry, error) {
	tx, err := l.db.BeginRead()
	if err != nil {
		return nil, err
	}
	defer tx.Abort()
	e, err := l.lookupIDTx(tx, uniqueid)
	if err != nil {
		return nil, err
	}
	if e.Type&Reserved != 0 {
		return nil, ErrReserved
	}
	return e, nil
}

func (l *List) lookupTx(tx *cyrusdb.Tx, name string) (*Entry, error) {
	dbn := l.dbname(name)
	if dbn == "" {
		return nil, ErrNotFound
	}
	v, err := tx.Fetch(NameKey(dbn))
	if errors.Is(err, cyrusdb.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("mboxlist: fetch %s: %w", name, err)
	}
	e, err := l.codec.Decode(dbn, v)
	if err != nil {
		return nil, fmt.Errorf("mboxlist: %s: %w", name, err)
	}
	return e, nil
}

func (l *List) lookupIDTx(tx *cyrusdb.Tx, id string) (*Entry, error) {
	if id == "" {
		return nil, ErrNotFound
	}
	v, err := tx.Fetch(IDKey(id))
	if errors.Is(err, cyrusdb.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("mboxlist: fetch id %s: %w", id, err)
	}
	e, err := l.codec.Decode("", v)
	if err != nil {
		return nil, fmt.Errorf("mboxlist: id %s: %w", id, err)
	}
	e.UniqueID = id
	return e, nil
}

// Tx is a write transaction on mailboxes.db: everything done through it
// becomes visible to other processes at once at Commit, or not at all.
type Tx struct {
	l  *List
	tx *cyrusdb.Tx
}

// Begin starts a write transaction (the exclusive database lock until
// Commit or Abort). Callers that change a user's mailboxes hold the
// user's namespace lock first (LockNamespace): lock order is namespace
// lock, then mailboxes.db.
func (l *List) Begin() (*Tx, error) {
	tx, err := l.db.Begin()
	if err != nil {
		return nil, fmt.Errorf("mboxlist: begin: %w", err)
	}
	return &Tx{l: l, tx: tx}, nil
}

// Commit makes the transaction's changes durable and visible.
func (t *Tx) Commit() error { return t.tx.Commit() }

// Abort drops them. Safe after Commit.
func (t *Tx) Abort() error { return t.tx.Abort() }

// LookupAll is List.LookupAll inside the transaction.
func (t *Tx) LookupAll(name string) (*Entry, error) { return t.l.lookupTx(t.tx, name) }

// Lookup is List.Lookup inside the transaction.
func (t *Tx) Lookup(name string) (*Entry, error) {
	e, err := t.LookupAll(name)
	if err != nil {
		return nil, err
	}
	return filter(e)
}

// LookupID is List.LookupID inside the transaction (reservations
// included).
func (t *Tx) LookupID(id string) (*Entry, error) { return t.l.lookupIDTx(t.tx, id) }

// Put writes the record of name (Cyrus mboxlist_update_entry): the N
// record from e, and the I record of e.UniqueID, whose history gains the
// previous name when the uniqueid's I record named another mailbox. If the
// name had a record of another uniqueid whose I record still names it,
// that I record is removed. e == nil removes the N record only (the I
// record stays, as in Cyrus 3.6.1). e.Name is ignored: name is used.
func (t *Tx) Put(name string, e *Entry) error {
	dbn := t.l.dbname(name)
	if dbn == "" {
		return fmt.Errorf("mboxlist: put: %w", ErrNotFound)
	}
	old, err := t.l.lookupTx(t.tx, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if old != nil && e != nil && old.UniqueID != "" && old.UniqueID != e.UniqueID {
		oi, err := t.l.lookupIDTx(t.tx, old.UniqueID)
		switch {
		case err == nil && oi.Name == name:
			if err := t.tx.Delete(IDKey(old.UniqueID)); err != nil {
				return err
			}
		case err != nil && !errors.Is(err, ErrNotFound):
			return err
		}
	}
	if e == nil {
		if old != nil {
			return t.tx.Delete(NameKey(dbn))
		}
		return nil
	}
	now := t.l.s.Now().Unix()
	if err := t.tx.Store(NameKey(dbn), t.l.codec.EncodeName(e, now)); err != nil {
		return err
	}
	if e.UniqueID == "" {
		return nil
	}
	oi, err := t.l.lookupIDTx(t.tx, e.UniqueID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	ni := e.Clone() // keeps e.History first, as Cyrus's entry copy does
	ni.Name = name
	if oi != nil {
		if oi.Name != name {
			ni.History = append(ni.History, Former{Name: oi.Name, MTime: oi.MTime,
				UIDValidity: oi.UIDValidity, CreatedModSeq: oi.CreatedModSeq,
				FolderModSeq: oi.FolderModSeq, Type: oi.Type, Partition: oi.Partition})
		}
		ni.History = append(ni.History, oi.History...)
	}
	return t.tx.Store(IDKey(e.UniqueID), t.l.codec.EncodeID(ni, now))
}

// DeleteID removes an I record outright (tombstone expiry, repair).
func (t *Tx) DeleteID(id string) error { return t.tx.Delete(IDKey(id)) }

// Raw is the underlying cyrusdb transaction.
func (t *Tx) Raw() *cyrusdb.Tx { return t.tx }
