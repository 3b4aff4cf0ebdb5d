package tlsutil

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The session-ticket keys Gyrus shares between processes live in the
// same database Cyrus uses for its TLS session cache (tls_sessions_db).
// The record format is documented in doc.go ("Ticket-key records").

// KeyPrefix starts the database key of every ticket-key record; the key
// id follows in unpadded base64url (22 characters), 31 bytes in all.
// Cyrus keys its records by TLS session id, and OpenSSL makes every
// session id exactly 32 bytes long: a 31-byte key can never be one. It
// must not be longer than 32 either: Cyrus's tls_prune asserts that when
// it deletes a record (found by running it on our files).
const KeyPrefix = "gyrus.tk."

var keyIDEncoding = base64.RawURLEncoding.Strict()

const (
	keyIDLen     = 16
	keySecretLen = 32 // AES-256-GCM
	keyVersion   = 1
	keyRecordLen = 8 + 4 + 1 + 8 + 8 + keySecretLen
)

var keyMagic = [4]byte{'G', 'Y', 'T', 'K'}

// hostOrder is the byte order of the expiry time at the start of every
// record: Cyrus writes a native time_t there, and its tls_prune reads it
// back the same way.
var hostOrder = binary.NativeEndian

// ticketKey is one shared session-ticket key.
type ticketKey struct {
	ID       [keyIDLen]byte
	Created  int64 // Unix seconds
	UseUntil int64 // new tickets are sealed with it before this time
	Expires  int64 // it opens tickets before this time; tls_prune deletes it after
	Secret   [keySecretLen]byte

	aead cipher.AEAD
}

// newTicketKey makes a fresh key at now: it seals tickets for rotate
// (half the session timeout) and opens them for rotate + timeout, so a
// ticket issued at the last moment still lives its full timeout.
func newTicketKey(now time.Time, rotate, timeout time.Duration) (*ticketKey, error) {
	k := &ticketKey{Created: now.Unix()}
	k.UseUntil = k.Created + seconds(rotate)
	k.Expires = k.UseUntil + seconds(timeout)
	if _, err := rand.Read(k.ID[:]); err != nil {
		return nil, err
	}
	if _, err := rand.Read(k.Secret[:]); err != nil {
		return nil, err
	}
	return k, k.init()
}

// seconds rounds d up to whole seconds, at least one.
func seconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

func (k *ticketKey) init() error {
	b, err := aes.NewCipher(k.Secret[:])
	if err != nil {
		return err
	}
	k.aead, err = cipher.NewGCM(b)
	return err
}

func (k *ticketKey) dbKey() []byte {
	return append([]byte(KeyPrefix), keyIDEncoding.EncodeToString(k.ID[:])...)
}

// usable reports whether new tickets may be sealed with k at now.
func (k *ticketKey) usable(now int64) bool { return k.Created <= now && now < k.UseUntil }

// live reports whether k may still open tickets at now.
func (k *ticketKey) live(now int64) bool { return now < k.Expires }

func (k *ticketKey) marshal() []byte {
	b := make([]byte, keyRecordLen)
	hostOrder.PutUint64(b[0:], uint64(k.Expires))
	copy(b[8:], keyMagic[:])
	b[12] = keyVersion
	hostOrder.PutUint64(b[13:], uint64(k.Created))
	hostOrder.PutUint64(b[21:], uint64(k.UseUntil))
	copy(b[29:], k.Secret[:])
	return b
}

var errNotKey = errors.New("not a Gyrus ticket-key record")

// parseKeyRecord decodes a ticket-key record from its database key and
// value. Records of other kinds (Cyrus sessions) give errNotKey.
func parseKeyRecord(key, val []byte) (*ticketKey, error) {
	encID, ok := bytes.CutPrefix(key, []byte(KeyPrefix))
	if !ok {
		return nil, errNotKey
	}
	k := &ticketKey{}
	if len(encID) != keyIDEncoding.EncodedLen(keyIDLen) {
		return nil, fmt.Errorf("ticket key %q: id of %d characters", key, len(encID))
	}
	if n, err := keyIDEncoding.Decode(k.ID[:], encID); err != nil || n != keyIDLen {
		return nil, fmt.Errorf("ticket key %q: bad id: %v", key, err)
	}
	if len(val) != keyRecordLen {
		return nil, fmt.Errorf("ticket key %q: value of %d bytes, want %d", key, len(val), keyRecordLen)
	}
	if !bytes.Equal(val[8:12], keyMagic[:]) || val[12] != keyVersion {
		return nil, fmt.Errorf("ticket key %q: bad magic or version", key)
	}
	k.Expires = int64(hostOrder.Uint64(val[0:]))
	k.Created = int64(hostOrder.Uint64(val[13:]))
	k.UseUntil = int64(hostOrder.Uint64(val[21:]))
	copy(k.Secret[:], val[29:])
	if !(k.Created <= k.UseUntil && k.UseUntil <= k.Expires) {
		return nil, fmt.Errorf("ticket key %q: times out of order", key)
	}
	return k, k.init()
}

// recordExpiry is the expiry time at the start of any record of the
// sessions database, Cyrus's or ours; ok is false for a value too short
// to hold one.
func recordExpiry(val []byte) (int64, bool) {
	if len(val) < 8 {
		return 0, false
	}
	return int64(hostOrder.Uint64(val)), true
}
