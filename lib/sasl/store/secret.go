package store

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// Schemes of the secrets kept per user (RFC 3112 scheme names as used
// by Cyrus SASL's SCRAM plugin).
const (
	SchemeSHA1   = "SCRAM-SHA-1"
	SchemeSHA256 = "SCRAM-SHA-256"
)

// Schemes lists the secrets SetPassword writes, weakest first.
var Schemes = []string{SchemeSHA1, SchemeSHA256}

const (
	// DefaultIterations is the PBKDF2 count of new secrets: far above the
	// RFC 7677 minimum of 4096, still well under 0.1 s per check.
	DefaultIterations = 100000
	// MinIterations is what RFC 5802/7677 ask of a SCRAM server.
	MinIterations = 4096
	// MaxIterations bounds what a file may ask a login to compute.
	MaxIterations = 10000000
	saltLen       = 16
)

// Secret is one salted SCRAM verifier (RFC 5802 section 3).
type Secret struct {
	Scheme     string // SchemeSHA1 or SchemeSHA256
	Iterations int
	Salt       []byte
	StoredKey  []byte // H(ClientKey)
	ServerKey  []byte
}

// HashFor returns the hash function of a scheme, or nil if unknown.
func HashFor(scheme string) func() hash.Hash {
	switch scheme {
	case SchemeSHA1:
		return sha1.New
	case SchemeSHA256:
		return sha256.New
	}
	return nil
}

// SaltedPassword is Hi(password, salt, i) of RFC 5802 = PBKDF2 with HMAC-H.
func SaltedPassword(h func() hash.Hash, password, salt []byte, iter int) []byte {
	k, err := pbkdf2.Key(h, string(password), salt, iter, h().Size())
	if err != nil {
		// Only FIPS-mode policy checks fail here; a verifier that cannot
		// be derived must not match anything.
		return nil
	}
	return k
}

func hmacSum(h func() hash.Hash, key []byte, msg string) []byte {
	m := hmac.New(h, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// Keys derives StoredKey and ServerKey from a salted password.
func Keys(h func() hash.Hash, salted []byte) (storedKey, serverKey []byte) {
	clientKey := hmacSum(h, salted, "Client Key")
	d := h()
	d.Write(clientKey)
	return d.Sum(nil), hmacSum(h, salted, "Server Key")
}

// NewSecret derives a verifier of scheme for password with a fresh
// random salt.
func NewSecret(scheme string, password []byte, iter int) (Secret, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return Secret{}, fmt.Errorf("salt: %w", err)
	}
	return DeriveSecret(scheme, password, salt, iter)
}

// DeriveSecret derives a verifier from a given salt.
func DeriveSecret(scheme string, password, salt []byte, iter int) (Secret, error) {
	h := HashFor(scheme)
	if h == nil {
		return Secret{}, fmt.Errorf("unknown scheme %q", scheme)
	}
	if iter < 1 || iter > MaxIterations {
		return Secret{}, fmt.Errorf("iteration count %d out of range", iter)
	}
	sp := SaltedPassword(h, password, salt, iter)
	if sp == nil {
		return Secret{}, fmt.Errorf("%s: cannot derive key", scheme)
	}
	st, sv := Keys(h, sp)
	return Secret{Scheme: scheme, Iterations: iter, Salt: append([]byte(nil), salt...), StoredKey: st, ServerKey: sv}, nil
}

// Verify reports whether password matches the secret.
func (s Secret) Verify(password []byte) bool {
	h := HashFor(s.Scheme)
	if h == nil || s.Iterations < 1 || s.Iterations > MaxIterations {
		return false
	}
	if recentlyVerified(s.StoredKey, password) {
		return true
	}
	sp := SaltedPassword(h, password, s.Salt, s.Iterations)
	if sp == nil {
		return false
	}
	st, _ := Keys(h, sp)
	if subtle.ConstantTimeCompare(st, s.StoredKey) != 1 {
		return false
	}
	rememberVerified(s.StoredKey, password)
	return true
}

var b64 = base64.StdEncoding

// String renders the RFC 3112 authPassword form.
func (s Secret) String() string {
	return s.Scheme + "$" + strconv.Itoa(s.Iterations) + ":" + b64.EncodeToString(s.Salt) +
		"$" + b64.EncodeToString(s.StoredKey) + ":" + b64.EncodeToString(s.ServerKey)
}

// ParseSecret reads the authPassword form written by String (and by
// Cyrus SASL's SCRAM plugin into sasldb2's authPassword property).
func ParseSecret(v string) (Secret, error) {
	scheme, rest, ok := strings.Cut(v, "$")
	if !ok {
		return Secret{}, fmt.Errorf("secret %.20q: no scheme", v)
	}
	h := HashFor(scheme)
	if h == nil {
		return Secret{}, fmt.Errorf("secret: unknown scheme %q", scheme)
	}
	info, value, ok := strings.Cut(rest, "$")
	if !ok {
		return Secret{}, fmt.Errorf("secret %s: no value part", scheme)
	}
	its, salt64, ok := strings.Cut(info, ":")
	if !ok {
		return Secret{}, fmt.Errorf("secret %s: no salt", scheme)
	}
	iter, err := strconv.Atoi(its)
	if err != nil || iter < 1 || iter > MaxIterations || strings.HasPrefix(its, "+") {
		return Secret{}, fmt.Errorf("secret %s: bad iteration count %q", scheme, its)
	}
	st64, sv64, ok := strings.Cut(value, ":")
	if !ok {
		return Secret{}, fmt.Errorf("secret %s: no server key", scheme)
	}
	s := Secret{Scheme: scheme, Iterations: iter}
	if s.Salt, err = b64.DecodeString(salt64); err != nil || len(s.Salt) == 0 {
		return Secret{}, fmt.Errorf("secret %s: bad salt", scheme)
	}
	size := h().Size()
	if s.StoredKey, err = b64.DecodeString(st64); err != nil || len(s.StoredKey) != size {
		return Secret{}, fmt.Errorf("secret %s: bad stored key", scheme)
	}
	if s.ServerKey, err = b64.DecodeString(sv64); err != nil || len(s.ServerKey) != size {
		return Secret{}, fmt.Errorf("secret %s: bad server key", scheme)
	}
	return s, nil
}
