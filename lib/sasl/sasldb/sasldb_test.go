package sasldb

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type want struct{ file, user, realm, password string }

// readExpected loads testdata/expected.txt, written by testdata/gen.sh
// alongside the files it made with the real saslpasswd2 and db_load.
func readExpected(t *testing.T) map[string][]want {
	t.Helper()
	f, err := os.Open("testdata/expected.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]want{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		a := strings.Split(sc.Text(), "\t")
		if len(a) != 4 {
			t.Fatalf("bad expected line %q", sc.Text())
		}
		out[a[0]] = append(out[a[0]], want{a[0], a[1], a[2], a[3]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRealFiles(t *testing.T) {
	exp := readExpected(t)
	if len(exp) != 7 {
		t.Fatalf("expected.txt covers %d files, want 7", len(exp))
	}
	for file, ws := range exp {
		t.Run(file, func(t *testing.T) {
			db, err := Open(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			present := 0
			for _, w := range ws {
				got, ok := db.ClearPassword(w.user, w.realm)
				if w.password == "-" {
					if ok || db.Has(w.user, w.realm) {
						t.Errorf("%s@%s: deleted user still present", w.user, w.realm)
					}
					if r := db.CheckPassword(w.user, w.realm, []byte("gone")); r != NoUser {
						t.Errorf("%s@%s: deleted user check = %v", w.user, w.realm, r)
					}
					continue
				}
				present++
				if !ok || string(got) != w.password {
					t.Errorf("%s@%s: password %.40q, want %.40q", w.user, w.realm, got, w.password)
				}
				if r := db.CheckPassword(w.user, w.realm, []byte(w.password)); r != Match {
					t.Errorf("%s@%s: right password gives %v", w.user, w.realm, r)
				}
				if r := db.CheckPassword(w.user, w.realm, []byte(w.password+"x")); r != Mismatch {
					t.Errorf("%s@%s: wrong password gives %v", w.user, w.realm, r)
				}
				if r := db.CheckPassword(w.user, w.realm+"x", []byte(w.password)); r != NoUser {
					t.Errorf("%s@%s: other realm gives %v", w.user, w.realm, r)
				}
			}
			if db.Len() != present {
				t.Errorf("%d entries, want %d", db.Len(), present)
			}
		})
	}
}

// TestAgainstDBDump compares every pair with what libdb's own db_dump
// prints, when db_dump is installed (db-util).
func TestAgainstDBDump(t *testing.T) {
	if _, err := exec.LookPath("db_dump"); err != nil {
		t.Skip("db_dump (db-util) not installed")
	}
	for _, f := range []string{"small.db", "two.db", "empty.db", "many.db", "small-be.db", "many-be-512.db", "many-chksum.db"} {
		path := filepath.Join("testdata", f)
		out, err := exec.Command("db_dump", "-p", path).Output()
		if err != nil {
			t.Fatalf("db_dump %s: %v", f, err)
		}
		wantPairs := parseDump(t, out)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		pairs, err := ReadHash(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got := map[string]string{}
		for _, p := range pairs {
			got[string(p.Key)] = string(p.Value)
		}
		if len(got) != len(wantPairs) || len(pairs) != len(wantPairs) {
			t.Errorf("%s: %d pairs (%d distinct), db_dump has %d", f, len(pairs), len(got), len(wantPairs))
		}
		for k, v := range wantPairs {
			if got[k] != v {
				t.Errorf("%s: key %q = %.30q, db_dump says %.30q", f, k, got[k], v)
			}
		}
	}
}

// parseDump reads db_dump -p output (printable form, \xx escapes).
func parseDump(t *testing.T, out []byte) map[string]string {
	t.Helper()
	var lines []string
	inData := false
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case l == "HEADER=END":
			inData = true
		case l == "DATA=END":
			inData = false
		case inData && strings.HasPrefix(l, " "):
			lines = append(lines, unescapeDump(t, l[1:]))
		}
	}
	if len(lines)%2 != 0 {
		t.Fatalf("odd number of db_dump lines")
	}
	m := map[string]string{}
	for i := 0; i < len(lines); i += 2 {
		m[lines[i]] = lines[i+1]
	}
	return m
}

func unescapeDump(t *testing.T, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '\\' {
			b.WriteByte('\\')
			i++
		} else if s[i] == '\\' && i+2 < len(s) {
			n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				t.Fatalf("bad escape in %q", s)
			}
			b.WriteByte(byte(n))
			i += 2
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// TestLiveSaslpasswd2 makes a fresh file with the installed saslpasswd2
// (so a newer libsasl/libdb on the machine is covered too) and reads it.
func TestLiveSaslpasswd2(t *testing.T) {
	bin, err := exec.LookPath("saslpasswd2")
	if err != nil {
		t.Skip("saslpasswd2 (sasl2-bin) not installed")
	}
	path := filepath.Join(t.TempDir(), "sasldb2")
	users := map[string]string{}
	for i := 0; i < 40; i++ {
		u := "u" + strconv.Itoa(i)
		pw := strings.Repeat("p", i*50) + strconv.Itoa(i) // up to 2 KB (its read limit): overflow pages
		cmd := exec.Command(bin, "-p", "-c", "-f", path, "-u", "live.test", u)
		cmd.Stdin = strings.NewReader(pw)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("saslpasswd2: %v: %s", err, out)
		}
		users[u] = pw
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for u, pw := range users {
		if r := db.CheckPassword(u, "live.test", []byte(pw)); r != Match {
			t.Errorf("%s: %v", u, r)
		}
	}
	if db.Len() != len(users) {
		t.Errorf("%d entries, want %d", db.Len(), len(users))
	}
}

func TestSecretPlain(t *testing.T) {
	// A cmusaslsecretPLAIN value built by the layout libsasl documents in
	// checkpw.c: salt[16] NUL MD5(salt "sasldb" password).
	salt := []byte("0123456789abcdef")
	sum := md5sum(append(append(append([]byte{}, salt...), "sasldb"...), "hunter2"...))
	secret := append(append(append([]byte{}, salt...), 0), sum...)
	db := &DB{entries: map[string][]byte{key("old", "r", PropSecretPlain): secret}}
	db.keys = []string{key("old", "r", PropSecretPlain)}
	if r := db.CheckPassword("old", "r", []byte("hunter2")); r != Match {
		t.Errorf("right password: %v", r)
	}
	if r := db.CheckPassword("old", "r", []byte("hunter3")); r != Mismatch {
		t.Errorf("wrong password: %v", r)
	}
	if _, ok := db.ClearPassword("old", "r"); ok {
		t.Errorf("salted secret reported as clear password")
	}
}

func TestCorruptNeverPanics(t *testing.T) {
	data, err := os.ReadFile("testdata/many.db")
	if err != nil {
		t.Fatal(err)
	}
	// Truncations and single-byte flips at every 97th byte: errors are
	// fine, panics and hangs are not.
	for n := 0; n < len(data); n += 4096 / 4 {
		_, _ = ReadHash(data[:n])
	}
	for i := 0; i < len(data); i += 97 {
		d := bytes.Clone(data)
		d[i] ^= 0xff
		_, _ = ReadHash(d)
	}
	// A bucket chain that loops must be reported, not followed forever.
	d := bytes.Clone(data)
	ps := 4096
	binary.LittleEndian.PutUint32(d[ps+16:], 1) // page 1 next -> page 1
	if _, err := ReadHash(d); err == nil {
		t.Errorf("looping chain accepted")
	}
	if _, err := ReadHash([]byte("short")); err == nil {
		t.Errorf("short input accepted")
	}
}

func FuzzReadHash(f *testing.F) {
	for _, name := range []string{"small.db", "small-be.db"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pairs, err := ReadHash(data)
		if err != nil {
			return
		}
		if _, err := Parse(data); err != nil {
			t.Fatalf("ReadHash ok but Parse failed: %v", err)
		}
		total := 0
		for _, p := range pairs {
			total += len(p.Key) + len(p.Value)
		}
		if total > len(data)*64 {
			t.Fatalf("%d bytes out of %d in", total, len(data))
		}
	})
}

func md5sum(b []byte) []byte {
	s := md5.Sum(b)
	return s[:]
}

func BenchmarkParseMany(b *testing.B) {
	data, err := os.ReadFile("testdata/many.db")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
