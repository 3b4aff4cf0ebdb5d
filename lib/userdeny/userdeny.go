package userdeny

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"gyrus/lib/config"
	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends" // userdeny_db may name any backend
)

// Version is the value version written.
const Version = 2

// DefaultMessage is shown when a record has none.
const DefaultMessage = "Access to this service has been blocked"

// Entry is one user's record.
type Entry struct {
	User     string
	Services string // comma-separated wildmat patterns ("*" = all)
	Message  string
}

// ErrBadValue is a record that cannot be parsed (Cyrus
// IMAP_MAILBOX_BADFORMAT).
var ErrBadValue = errors.New("userdeny: bad record")

// Parse reads a record value.
func Parse(v []byte) (services, message string, err error) {
	s := string(v)
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	ver, perr := strconv.ParseUint(s[:j], 10, 64)
	if perr != nil || ver < 1 || ver > Version {
		return "", "", ErrBadValue
	}
	if j >= len(s) || s[j] != '\t' {
		return "", "", ErrBadValue
	}
	wild := s[j+1:]
	msg := DefaultMessage
	if ver == Version {
		if i := strings.IndexByte(wild, '\t'); i >= 0 {
			wild, msg = wild[:i], wild[i+1:]
		}
	}
	return wild, msg, nil
}

// Encode builds a version-2 record value.
func Encode(services, message string) []byte {
	return []byte(fmt.Sprintf("%d\t%s\t%s", Version, services, message))
}

// Denied reports whether services (a record's pattern list) denies
// service: the first pattern matching decides, '!' negates.
func Denied(services, service string) bool {
	for _, pat := range strings.Split(services, ",") {
		if pat == "" {
			continue
		}
		not := pat[0] == '!'
		if not {
			pat = pat[1:]
		}
		if Wildmat(service, pat) {
			return !not
		}
	}
	return false
}

// DB is the open deny list.
type DB struct {
	db *cyrusdb.DB
}

// ErrNoDB: the database does not exist (and create was not asked).
var ErrNoDB = errors.New("userdeny: no database")

// Open opens the database; without create a missing file is ErrNoDB.
func Open(path, backend string, create bool) (*DB, error) {
	if backend == "" {
		backend = "flat"
	}
	var fl cyrusdb.Flags
	if create {
		fl |= cyrusdb.Create
	}
	db, err := cyrusdb.Open(path, backend, fl)
	if errors.Is(err, cyrusdb.ErrNotFound) && !create {
		return nil, ErrNoDB
	}
	if err != nil {
		return nil, fmt.Errorf("userdeny: open %s: %w", path, err)
	}
	return &DB{db: db}, nil
}

// PathFromConfig returns userdeny_db_path (or its default) and the backend.
func PathFromConfig(c *config.Config) (path, backend string) {
	path = c.UserdenyDbPath()
	if path == "" {
		path = filepath.Join(c.Configdirectory(), "user_deny.db")
	}
	return path, c.UserdenyDb()
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Set denies user the services (nil/"" = "*") with message ("" = the
// default), as cyr_deny does (Cyrus denydb_set).
func (d *DB) Set(user, services, message string) error {
	if services == "" {
		services = "*"
	}
	if message == "" {
		message = DefaultMessage
	}
	if user == "" || strings.ContainsRune(services, '\t') {
		return errors.New("Invalid identifier")
	}
	return d.db.Store([]byte(user), Encode(services, message))
}

// Delete allows user again.
func (d *DB) Delete(user string) error {
	err := d.db.Delete([]byte(user))
	if errors.Is(err, cyrusdb.ErrNotFound) {
		err = nil
	}
	return err
}

// Check returns whether user is denied service, and the message to show
// (Cyrus userdeny). Unreadable records allow access.
func (d *DB) Check(user, service string) (bool, string, error) {
	v, err := d.db.Fetch([]byte(user))
	if errors.Is(err, cyrusdb.ErrNotFound) || err == nil && len(v) == 0 {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	wild, msg, err := Parse(v)
	if err != nil {
		return false, "", nil
	}
	if Denied(wild, service) {
		return true, msg, nil
	}
	return false, "", nil
}

// Foreach calls fn for every valid record in key order.
func (d *DB) Foreach(fn func(e Entry) error) error {
	return d.db.Foreach(nil, func(k, v []byte) error {
		wild, msg, err := Parse(v)
		if err != nil {
			return nil
		}
		return fn(Entry{User: string(k), Services: wild, Message: msg})
	})
}
