package sasldb

import (
	"bytes"
	"crypto/md5"
	"crypto/subtle"
	"fmt"
	"os"
	"sort"
)

// Property names libsasl stores in sasldb2.
const (
	PropUserPassword = "userPassword"       // clear text (SASL_AUX_PASSWORD_PROP)
	PropSecretPlain  = "cmusaslsecretPLAIN" // salted MD5 of older releases
	PropAuthPassword = "authPassword"       // SCRAM secrets, RFC 3112 syntax
)

// Entry is one property of one user.
type Entry struct {
	User, Realm, Prop string
	Value             []byte
}

// DB is the decoded content of one sasldb2 file.
type DB struct {
	entries map[string][]byte // user\0realm\0prop -> value
	keys    []string          // sorted
}

// Open reads and decodes the sasldb2 file at path.
func Open(path string) (*DB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sasldb: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("sasldb: %w", err)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("sasldb %s: %w: %d bytes", path, ErrFormat, st.Size())
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("sasldb: read %s: %w", path, err)
	}
	db, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("sasldb %s: %w", path, err)
	}
	return db, nil
}

// Parse decodes a sasldb2 file image. Keys that are not
// "user\0realm\0prop" (libsasl never writes others) are skipped.
func Parse(data []byte) (*DB, error) {
	pairs, err := ReadHash(data)
	if err != nil {
		return nil, err
	}
	db := &DB{entries: make(map[string][]byte, len(pairs))}
	for _, p := range pairs {
		if bytes.Count(p.Key, []byte{0}) != 2 {
			continue
		}
		k := string(p.Key)
		if _, dup := db.entries[k]; !dup {
			db.keys = append(db.keys, k)
		}
		db.entries[k] = p.Value
	}
	sort.Strings(db.keys)
	return db, nil
}

func key(user, realm, prop string) string { return user + "\x00" + realm + "\x00" + prop }

// Get returns the value of prop for user in realm.
func (db *DB) Get(user, realm, prop string) ([]byte, bool) {
	v, ok := db.entries[key(user, realm, prop)]
	return v, ok
}

// Has reports whether user@realm has any property at all.
func (db *DB) Has(user, realm string) bool {
	prefix := user + "\x00" + realm + "\x00"
	i := sort.SearchStrings(db.keys, prefix)
	return i < len(db.keys) && len(db.keys[i]) >= len(prefix) && db.keys[i][:len(prefix)] == prefix
}

// Len is the number of entries.
func (db *DB) Len() int { return len(db.keys) }

// Entries returns every entry, sorted by user, realm, property.
func (db *DB) Entries() []Entry {
	out := make([]Entry, 0, len(db.keys))
	for _, k := range db.keys {
		a := bytes.SplitN([]byte(k), []byte{0}, 3)
		out = append(out, Entry{User: string(a[0]), Realm: string(a[1]), Prop: string(a[2]), Value: db.entries[k]})
	}
	return out
}

// Result of a password check against the file.
type Result int

const (
	NoUser   Result = iota // no password-bearing property for the user
	Mismatch               // a secret exists and the password does not match
	Match
)

// CheckPassword verifies password for user@realm the way libsasl's
// auxprop verifier does: the clear userPassword first, then the salted
// cmusaslsecretPLAIN.
func (db *DB) CheckPassword(user, realm string, password []byte) Result {
	clear, hasClear := db.Get(user, realm, PropUserPassword)
	secret, hasSecret := db.Get(user, realm, PropSecretPlain)
	if (!hasClear || len(clear) == 0) && (!hasSecret || len(secret) == 0) {
		return NoUser
	}
	if hasClear && len(clear) > 0 && subtle.ConstantTimeCompare(clear, password) == 1 {
		return Match
	}
	if hasSecret && len(secret) > 0 && checkSecretPlain(secret, password) {
		return Match
	}
	return Mismatch
}

// checkSecretPlain checks the cmusaslsecretPLAIN layout: salt[16], NUL,
// MD5(salt || "sasldb" || password).
func checkSecretPlain(secret, password []byte) bool {
	if len(secret) != 16+1+md5.Size {
		return false
	}
	h := md5.New()
	h.Write(secret[:16])
	h.Write([]byte("sasldb"))
	h.Write(password)
	return subtle.ConstantTimeCompare(h.Sum(nil), secret[17:]) == 1
}

// ClearPassword returns the clear-text userPassword of user@realm, which
// SCRAM needs to derive its keys when no hashed secret exists yet.
func (db *DB) ClearPassword(user, realm string) ([]byte, bool) {
	v, ok := db.Get(user, realm, PropUserPassword)
	if !ok || len(v) == 0 {
		return nil, false
	}
	return v, true
}
