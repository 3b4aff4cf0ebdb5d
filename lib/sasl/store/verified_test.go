package store

import (
	"testing"
	"time"
)

// The verified-password cache answers a repeated good password without
// PBKDF2, never a wrong one, forgets after its TTL and with a new secret.
func TestVerifiedCache(t *testing.T) {
	const iter = 200000 // slow enough to tell a cached answer by its time
	s, err := NewSecret(SchemeSHA256, []byte("right"), iter)
	if err != nil {
		t.Fatal(err)
	}
	if s.Verify([]byte("wrong")) {
		t.Fatal("wrong password accepted")
	}
	start := time.Now()
	if !s.Verify([]byte("right")) {
		t.Fatal("right password refused")
	}
	slow := time.Since(start)
	// the quickest of a few cached checks, so that one preemption or
	// garbage collection does not look like a missing cache
	fast := time.Hour
	for range 5 {
		start = time.Now()
		if !s.Verify([]byte("right")) {
			t.Fatal("right password refused the second time")
		}
		fast = min(fast, time.Since(start))
	}
	if fast*10 > slow {
		t.Errorf("second check took %v, first %v: not cached", fast, slow)
	}
	if s.Verify([]byte("wrong")) || s.Verify([]byte("righ")) || s.Verify(nil) {
		t.Fatal("wrong password accepted after a cached success")
	}
	// a new secret for the same password is a new StoredKey: not cached
	s2, _ := NewSecret(SchemeSHA256, []byte("right"), MinIterations)
	if recentlyVerified(s2.StoredKey, []byte("right")) {
		t.Error("cache entry shared between secrets")
	}
	// after the TTL the full check runs again (and still succeeds)
	verified.Lock()
	verified.now = func() time.Time { return time.Now().Add(verifiedTTL + time.Second) }
	verified.Unlock()
	defer func() { verified.Lock(); verified.now = time.Now; verified.Unlock() }()
	if recentlyVerified(s.StoredKey, []byte("right")) {
		t.Error("entry still valid after its TTL")
	}
	if !s.Verify([]byte("right")) {
		t.Error("right password refused after the TTL")
	}
}
