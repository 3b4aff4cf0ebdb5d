package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

const testIter = MinIterations // keep tests fast; the default is exercised once

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := Open(filepath.Join(dir, "sasldb2"+Suffix), testIter)
	if _, ok, err := s.Lookup("alice", "example.org"); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	users := []struct{ user, realm, pw string }{
		{"alice", "example.org", "secret1"},
		{"alice", "other.test", "another"},
		{"we ird@%", "re@lm with space", "pässwörd\x01"},
		{"bob", "", "no realm"},
	}
	for _, u := range users {
		if err := s.SetPassword(u.user, u.realm, []byte(u.pw)); err != nil {
			t.Fatal(err)
		}
	}
	// A second Store on the same file (another process) sees everything.
	s2 := Open(s.Path(), testIter)
	for _, u := range users {
		r, ok, err := s2.Lookup(u.user, u.realm)
		if err != nil || !ok {
			t.Fatalf("%s@%s: ok=%v err=%v", u.user, u.realm, ok, err)
		}
		if !r.Verify([]byte(u.pw)) || r.Verify([]byte(u.pw+"x")) || r.Verify(nil) {
			t.Errorf("%s@%s: verify wrong", u.user, u.realm)
		}
		if len(r.Secrets) != 2 {
			t.Errorf("%s@%s: %d secrets", u.user, u.realm, len(r.Secrets))
		}
		for _, sec := range r.Secrets {
			if !sec.Verify([]byte(u.pw)) || sec.Iterations != testIter {
				t.Errorf("%s@%s: %s does not verify (iter %d)", u.user, u.realm, sec.Scheme, sec.Iterations)
			}
		}
	}
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if bytes.Contains(data, []byte(u.pw)) {
			t.Errorf("password %q is on disk in clear", u.pw)
		}
	}
	if !bytes.HasPrefix(data, []byte(header+"\n")) || !bytes.Contains(data, []byte("\nwe%20ird%40%25@re%40lm%20with%20space SCRAM-SHA-1$4096:")) {
		t.Errorf("unexpected file:\n%s", data)
	}
	// Same password twice gives different salts.
	r1, _, _ := s.Lookup("alice", "example.org")
	if err := s.SetPassword("alice", "example.org", []byte("secret1")); err != nil {
		t.Fatal(err)
	}
	r2, _, _ := s.Lookup("alice", "example.org")
	if bytes.Equal(r1.Secrets[0].Salt, r2.Secrets[0].Salt) {
		t.Errorf("salt reused")
	}
}

func TestTombstone(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "db"+Suffix), testIter)
	if err := s.SetPassword("carol", "r", []byte("pw")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("carol", "r"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("never", "r"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"carol", "never"} {
		r, ok, err := s.Lookup(u, "r")
		if err != nil || !ok || !r.Deleted || r.Verify([]byte("pw")) {
			t.Errorf("%s: rec=%+v ok=%v err=%v", u, r, ok, err)
		}
	}
	data, _ := os.ReadFile(s.Path())
	if want := header + "\ncarol@r !deleted\nnever@r !deleted\n"; string(data) != want {
		t.Errorf("file = %q, want %q", data, want)
	}
	if err := s.SetPassword("carol", "r", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := s.Lookup("carol", "r"); r.Deleted || !r.Verify([]byte("new")) {
		t.Errorf("re-created user: %+v", r)
	}
}

func TestModeFollowsSasldb(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "sasldb2")
	if err := os.WriteFile(base, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := Open(PathFor(base), testIter)
	if err := s.SetPassword("a", "r", []byte("x")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 like sasldb2", fi.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestConcurrentWriters: writers from many goroutines (each its own
// Store and open file description, like separate processes) lose no
// update.
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db"+Suffix)
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := Open(path, testIter)
			errs <- s.SetPassword(fmt.Sprintf("u%d", i), "r", []byte(fmt.Sprint("pw", i)))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	recs, err := Open(path, testIter).List()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("%d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		if r.User != fmt.Sprintf("u%d", i) && !strings.HasPrefix(r.User, "u") {
			t.Errorf("record %d: %+v", i, r)
		}
	}
}

func TestDefaultIterations(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "db"+Suffix), 0)
	if err := s.SetPassword("a", "r", []byte("x")); err != nil {
		t.Fatal(err)
	}
	r, _, _ := s.Lookup("a", "r")
	for _, sec := range r.Secrets {
		if sec.Iterations != DefaultIterations {
			t.Errorf("%s: %d iterations", sec.Scheme, sec.Iterations)
		}
	}
	if Open("x", 10).iterations != MinIterations {
		t.Errorf("iterations below the RFC minimum accepted")
	}
}

func TestParseErrors(t *testing.T) {
	good := string(Format(map[string]Record{"a@r": {User: "a", Realm: "r", Deleted: true}}))
	for _, bad := range []string{
		"garbage\n",
		header + "\na@r !deleted",                          // no final newline
		header + "\nar !deleted\n",                         // no @
		header + "\na@r\n",                                 // no secret
		header + "\na@r !deleted\na@r !deleted\n",          // duplicate
		header + "\na%zz@r !deleted\n",                     // bad escape
		header + "\na%41@r !deleted\n",                     // not canonical
		header + "\na@r SCRAM-SHA-1$0:AA==$AA==:AA==\n",    // bad count
		header + "\na@r MD5$1:AA==$AA==:AA==\n",            // unknown scheme
		header + "\na@r SCRAM-SHA-1$4096:AA==$AA==:AA==\n", // short keys
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if recs, err := Parse([]byte(good)); err != nil || !recs["a@r"].Deleted {
		t.Errorf("good file: %v %v", recs, err)
	}
	// A damaged file is an error for lookups, never "no such user".
	path := filepath.Join(t.TempDir(), "db"+Suffix)
	os.WriteFile(path, []byte(header+"\nbroken\n"), 0o600)
	if _, _, err := Open(path, testIter).Lookup("a", "r"); err == nil {
		t.Errorf("lookup in damaged file succeeded")
	}
}

func FuzzParse(f *testing.F) {
	sec, _ := DeriveSecret(SchemeSHA256, []byte("pencil"), []byte("salt"), MinIterations)
	f.Add([]byte(header + "\nalice@example.org " + sec.String() + "\nbob@r !deleted\n"))
	f.Add([]byte(header + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := Parse(data)
		if err != nil {
			return
		}
		again, err := Parse(Format(recs))
		if err != nil {
			t.Fatalf("formatted records do not parse: %v", err)
		}
		if len(again) != len(recs) {
			t.Fatalf("%d records, then %d", len(recs), len(again))
		}
		for k, r := range recs {
			if Key(r.User, r.Realm) != k || again[k].Deleted != r.Deleted || len(again[k].Secrets) != len(r.Secrets) {
				t.Fatalf("record %q changed in round trip", k)
			}
		}
	})
}

func TestOwnerFollowsSasldb(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files away")
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "sasldb2")
	os.WriteFile(base, nil, 0o640)
	if err := os.Chown(base, 0, 12345); err != nil {
		t.Fatal(err)
	}
	s := Open(PathFor(base), testIter)
	if err := s.SetPassword("a", "r", []byte("x")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(s.Path())
	if st := fi.Sys().(*syscall.Stat_t); st.Gid != 12345 || fi.Mode().Perm() != 0o640 {
		t.Errorf("gid %d mode %v, want 12345 0640", st.Gid, fi.Mode().Perm())
	}
	// Later rewrites keep what the file has.
	os.Chown(s.Path(), 0, 54321)
	s.SetPassword("b", "r", []byte("y"))
	fi, _ = os.Stat(s.Path())
	if st := fi.Sys().(*syscall.Stat_t); st.Gid != 54321 {
		t.Errorf("rewrite changed gid to %d", st.Gid)
	}
}

// BenchmarkVerifyDefault is the cost of one login check (and of one
// password guess) at DefaultIterations.
func BenchmarkVerifyDefault(b *testing.B) {
	sec, err := DeriveSecret(SchemeSHA256, []byte("pencil"), []byte("0123456789abcdef"), DefaultIterations)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if !sec.Verify([]byte("pencil")) {
			b.Fatal("no match")
		}
	}
}
