package store

// A cache of passwords verified recently, so that a user whose mail
// client logs in every minute, or opens five connections at once, pays
// the PBKDF2 cost once per process and ten minutes rather than on every
// LOGIN (Dovecot's auth_cache makes the same trade).
//
// What is kept: for a secret's StoredKey, an HMAC-SHA-256 of the password
// under a key drawn at random when the process starts, and when it was
// verified. Nothing of it leaves the process, and a changed password is a
// new StoredKey, so an entry never outlives the secret it was made for.
// Only successes are kept: a wrong guess always costs the full iteration
// count. The map is bounded; when full it is emptied.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"sync"
	"time"
)

const (
	verifiedTTL = 10 * time.Minute
	verifiedMax = 4096
)

type verifiedEntry struct {
	mac  [sha256.Size]byte
	when time.Time
}

var verified = struct {
	sync.Mutex
	key [32]byte
	m   map[string]verifiedEntry
	now func() time.Time
}{m: map[string]verifiedEntry{}, now: time.Now}

func init() {
	if _, err := rand.Read(verified.key[:]); err != nil {
		panic("store: no randomness for the verified-password cache: " + err.Error())
	}
}

func verifiedMAC(storedKey, password []byte) (mac [sha256.Size]byte) {
	h := hmac.New(sha256.New, verified.key[:])
	h.Write(storedKey)
	h.Write([]byte{0})
	h.Write(password)
	copy(mac[:], h.Sum(nil))
	return mac
}

// recentlyVerified reports whether password was verified against the
// secret with this StoredKey within verifiedTTL.
func recentlyVerified(storedKey, password []byte) bool {
	mac := verifiedMAC(storedKey, password)
	verified.Lock()
	e, ok := verified.m[string(storedKey)]
	now := verified.now()
	verified.Unlock()
	return ok && now.Sub(e.when) < verifiedTTL && subtle.ConstantTimeCompare(e.mac[:], mac[:]) == 1
}

// rememberVerified records a successful verification.
func rememberVerified(storedKey, password []byte) {
	mac := verifiedMAC(storedKey, password)
	verified.Lock()
	defer verified.Unlock()
	if len(verified.m) >= verifiedMax {
		clear(verified.m)
	}
	verified.m[string(storedKey)] = verifiedEntry{mac: mac, when: verified.now()}
}
