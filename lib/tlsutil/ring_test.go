package tlsutil

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"gyrus/lib/cyrusdb"
)

// fakeClock is a settable clock shared by rings in a test.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{time.Unix(1_800_000_000, 0)} }
func openDB(t *testing.T, path string) *cyrusdb.DB {
	t.Helper()
	db, err := cyrusdb.Open(path, "twoskip", cyrusdb.Create)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestKeyRotationAndExpiry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tls_sessions.db")
	clk := newClock()
	T := time.Hour
	a := newKeyRing(openDB(t, path), T, time.Second, clk.now)
	b := newKeyRing(openDB(t, path), T, time.Second, clk.now) // "another process"

	seal := func(r *keyRing) []byte {
		tk, err := r.sealTicket("imap", clk.now(), []byte("state"))
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	opens := func(r *keyRing, tk []byte) bool {
		st, err := r.openTicket("imap", tk, clk.now())
		return err == nil && string(st) == "state"
	}
	t0 := seal(a)
	k0 := a.current
	if !opens(b, t0) {
		t.Fatal("ticket of ring a not opened by ring b")
	}
	if b.current != nil && b.current.ID != k0.ID {
		t.Error("b picked another key")
	}
	// Within T/2 both seal with the same key; b does not add one.
	clk.add(T/2 - time.Minute)
	seal(b)
	if b.current.ID != k0.ID {
		t.Error("b rotated before T/2")
	}
	// After T/2 the first ring to seal rotates; the other adopts its key.
	clk.add(2 * time.Minute)
	t1 := seal(b)
	k1 := b.current
	if k1.ID == k0.ID {
		t.Fatal("no rotation after T/2")
	}
	seal(a)
	if a.current.ID != k1.ID {
		t.Error("a made its own key instead of adopting b's")
	}
	if n := countKeys(t, path); n != 2 {
		t.Errorf("%d keys in the database, want 2", n)
	}
	// The old key still opens its tickets until they are T old...
	if !opens(a, t0) || !opens(a, t1) {
		t.Error("live tickets refused")
	}
	// ...and not after: t0 was issued at 0, now is T/2+1m; at T+1s it is too old.
	clk.add(T/2 + time.Second - time.Minute)
	if opens(a, t0) {
		t.Error("ticket older than the session timeout accepted")
	}
	if !opens(b, t1) {
		t.Error("t1 (issued at T/2+1m) refused at T+1s")
	}
	// Past k0's expiry (created + 1.5T) the key is gone from the rings.
	clk.add(T)
	seal(a)
	if a.keys[k0.ID] != nil || b.openKey(k0.ID) != nil {
		t.Error("expired key still usable")
	}
	// Tickets for another ident, or tampered, do not open.
	t2 := seal(a)
	if _, err := a.openTicket("pop3", t2, clk.now()); err == nil {
		t.Error("imap ticket opened as pop3")
	}
	t2[len(t2)-1] ^= 1
	if opens(a, t2) {
		t.Error("tampered ticket opened")
	}
}

func countKeys(t *testing.T, path string) int {
	t.Helper()
	db := openDB(t, path)
	n := 0
	db.Foreach([]byte(KeyPrefix), func(k, v []byte) error { n++; return nil })
	return n
}

func TestRingWithoutDatabase(t *testing.T) {
	clk := newClock()
	r := newKeyRing(nil, time.Hour, time.Second, clk.now)
	tk, err := r.sealTicket("imap", clk.now(), []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := r.openTicket("imap", tk, clk.now()); err != nil || string(st) != "x" {
		t.Errorf("process-local ring: %v", err)
	}
}

func TestKeyRecordRoundTrip(t *testing.T) {
	clk := newClock()
	k, err := newTicketKey(clk.now(), 30*time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key, val := k.dbKey(), k.marshal()
	if len(key) != 31 {
		t.Errorf("key of %d bytes: must be < 32 (OpenSSL session ids are 32) and <= 32 (Cyrus asserts it)", len(key))
	}
	if exp, ok := recordExpiry(val); !ok || exp != clk.now().Unix()+1800+3600 {
		t.Errorf("expiry at the start of the value: %d", exp)
	}
	if binary.LittleEndian.Uint64(val) != uint64(k.Expires) && hostOrder == binary.NativeEndian {
		t.Log("big-endian host") // the layout follows time_t, whatever the host
	}
	back, err := parseKeyRecord(key, val)
	if err != nil || back.ID != k.ID || back.Secret != k.Secret || back.Created != k.Created ||
		back.UseUntil != k.UseUntil || back.Expires != k.Expires {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for _, bad := range [][2][]byte{
		{[]byte("x"), val},
		{key[:len(key)-1], val},
		{key, val[:60]},
		{append([]byte(KeyPrefix), bytes.Repeat([]byte("*"), 22)...), val},
		{append([]byte(KeyPrefix), "AAAAAAAAAAAAAAAAAAAAAB"...), val}, // non-canonical base64
	} {
		if _, err := parseKeyRecord(bad[0], bad[1]); err == nil {
			t.Errorf("bad record %q accepted", bad[0])
		}
	}
}

func FuzzKeyRecord(f *testing.F) {
	k, _ := newTicketKey(time.Unix(1_800_000_000, 0), time.Minute, time.Hour)
	f.Add(k.dbKey(), k.marshal())
	f.Add([]byte(KeyPrefix+"ABEiM0RVZneImaq7zN3u_w"), make([]byte, keyRecordLen))
	f.Fuzz(func(t *testing.T, key, val []byte) {
		r, err := parseKeyRecord(key, val)
		if err != nil {
			return
		}
		if !bytes.Equal(r.dbKey(), key) || !bytes.Equal(r.marshal(), val) {
			t.Fatalf("record does not re-encode to its input")
		}
		if !(r.Created <= r.UseUntil && r.UseUntil <= r.Expires) {
			t.Fatal("times out of order accepted")
		}
	})
}

func FuzzOpenTicket(f *testing.F) {
	clk := newClock()
	r := newKeyRing(nil, time.Hour, time.Second, clk.now)
	good, _ := r.sealTicket("imap", clk.now(), []byte("session"))
	f.Add(good)
	f.Add(good[:ticketMinLen])
	f.Add([]byte{ticketVersion})
	f.Fuzz(func(t *testing.T, ticket []byte) {
		st, err := r.openTicket("imap", ticket, clk.now())
		if err == nil && !bytes.Equal(ticket, good) {
			t.Fatalf("forged ticket opened: %q", st)
		}
	})
}
