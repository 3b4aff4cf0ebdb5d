package sasl

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gyrus/lib/config"
	"gyrus/lib/sasl/store"
)

// copySasldb puts the small.db vector (made by the real saslpasswd2, see
// sasldb/testdata/gen.sh) at dir/sasldb2.
func copySasldb(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile("sasldb/testdata/small.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sasldb2")
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

func codeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func TestOptionsFromConfig(t *testing.T) {
	c, err := config.FromMap(map[string]string{
		"configdirectory":              "/var/lib/cyrus",
		"servername":                   "mail.example.org",
		"sasl_pwcheck_method":          "saslauthd auxprop",
		"sasl_sasldb_path":             "/srv/sasldb2",
		"sasl_mech_list":               "PLAIN LOGIN",
		"imaps_sasl_mech_list":         "SCRAM-SHA-256 PLAIN",
		"sasl_saslauthd_path":          "/run/sa/mux",
		"sasl_auxprop_plugin":          "sasldb",
		"sasl_scram_iteration_counter": "20000",
	}, "imaps")
	if err != nil {
		t.Fatal(err)
	}
	o, err := OptionsFromConfig(c, "imap")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.PwcheckMethods, " ") != "saslauthd auxprop" || o.SasldbPath != "/srv/sasldb2" ||
		strings.Join(o.MechList, " ") != "SCRAM-SHA-256 PLAIN" || o.SaslauthdPath != "/run/sa/mux" ||
		o.ServerName != "mail.example.org" || o.Service != "imap" || o.ScramIterations != 20000 {
		t.Errorf("options %+v", o)
	}
	for _, bad := range []map[string]string{
		{"sasl_pwcheck_method": "pwcheck"},
		{"sasl_auxprop_plugin": "sql"},
		{"sasl_scram_iteration_counter": "lots"},
	} {
		bad["configdirectory"] = "/x"
		c, err := config.FromMap(bad, "imap")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := OptionsFromConfig(c, "imap"); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	var zero Options
	if zero.sasldbPath() != "/etc/sasldb2" || zero.methods()[0] != "auxprop" {
		t.Errorf("defaults wrong")
	}
}

func TestAuxpropPrecedenceAndTombstones(t *testing.T) {
	dir := t.TempDir()
	path := copySasldb(t, dir)
	a, err := New(Options{SasldbPath: path, ServerName: "example.org", ScramIterations: store.MinIterations})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(id, pw string, want Code) {
		t.Helper()
		_, err := a.CheckPassword(ctx, id, []byte(pw))
		if codeOf(err) != want || (want == 0) != (err == nil) {
			t.Errorf("%s/%s: %v, want code %d", id, pw, err, want)
		}
	}
	// From the Berkeley DB file, realm = servername or after '@'.
	check("alice", "secret1", 0)
	check("alice@example.org", "secret1", 0)
	check("alice@other.test", "another", 0)
	check("alice", "wrong", CodeBadAuth)
	check("carol@mail.test", "sp ace&%x", 0)
	check("dave@mail.test", "gone", CodeNoUser)
	check("nobody", "x", CodeNoUser)

	// A new password goes to our store, which wins over sasldb2.
	if err := a.Store().SetPassword("alice", "example.org", []byte("newpw")); err != nil {
		t.Fatal(err)
	}
	check("alice", "newpw", 0)
	check("alice", "secret1", CodeBadAuth)
	check("alice@other.test", "another", 0) // other realm untouched

	// A tombstone hides the old sasldb2 entry.
	if err := a.Store().Delete("bob", "example.org"); err != nil {
		t.Fatal(err)
	}
	check("bob", "pw2-changed", CodeNoUser)

	// sasldb2 changed on disk (by Cyrus's saslpasswd2) is re-read.
	os.Remove(path)
	check("alice@other.test", "another", CodeNoUser)
	copySasldb(t, dir)
	check("alice@other.test", "another", 0)

	// A damaged sasldb2 is a failure, not "no such user".
	os.WriteFile(path, []byte("garbage garbage garbage"), 0o640)
	check("carol@mail.test", "sp ace&%x", CodeFail)
	if _, err := a.CheckPassword(ctx, "carol@mail.test", []byte("x")); !err.(*Error).Temporary() {
		t.Errorf("damaged file not temporary: %v", err)
	}
}

func TestAlwaysTrueAndOrder(t *testing.T) {
	a, err := New(Options{PwcheckMethods: []string{"auxprop", "alwaystrue"}, SasldbPath: filepath.Join(t.TempDir(), "none")})
	if err != nil {
		t.Fatal(err)
	}
	m, err := a.CheckPassword(context.Background(), "anyone", []byte("x"))
	if err != nil || m != MethodAlwaysTrue {
		t.Errorf("method %q err %v", m, err)
	}
	if _, err := a.CheckPassword(context.Background(), "", []byte("x")); codeOf(err) != CodeBadParam {
		t.Errorf("empty user: %v", err)
	}
}

// fakeSaslauthd accepts login "alice", password "pw", any service/realm,
// and records requests.
func fakeSaslauthd(t *testing.T) (string, func() []string) {
	path := filepath.Join(t.TempDir(), "mux")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	var reqs []string
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			var f []string
			for i := 0; i < 4; i++ {
				var h [2]byte
				io.ReadFull(c, h[:])
				b := make([]byte, binary.BigEndian.Uint16(h[:]))
				io.ReadFull(c, b)
				f = append(f, string(b))
			}
			mu.Lock()
			reqs = append(reqs, strings.Join(f, "|"))
			mu.Unlock()
			ans := "NO \"authentication failed\""
			if f[0] == "alice" && f[1] == "pw" {
				ans = "OK \"Success.\""
			}
			c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(ans))))
			c.Write([]byte(ans))
			c.Close()
		}
	}()
	return path, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), reqs...) }
}

func TestSaslauthdMethod(t *testing.T) {
	mux, reqs := fakeSaslauthd(t)
	a, err := New(Options{PwcheckMethods: []string{"saslauthd"}, SaslauthdPath: mux, Service: "pop", ServerName: "srv"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if m, err := a.CheckPassword(ctx, "alice", []byte("pw")); err != nil || m != "saslauthd" {
		t.Errorf("alice: %q %v", m, err)
	}
	if _, err := a.CheckPassword(ctx, "alice@a@example.org", []byte("bad")); codeOf(err) != CodeBadAuth {
		t.Errorf("bad password: %v", err)
	}
	// libsasl splits at the LAST '@' for saslauthd; no realm -> "".
	want := []string{"alice|pw|pop|", "alice@a|bad|pop|example.org"}
	if got := reqs(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests %q, want %q", got, want)
	}
	if a.SupportsScram() {
		t.Errorf("SCRAM offered without auxprop")
	}
	b, _ := New(Options{PwcheckMethods: []string{"saslauthd"}, SaslauthdPath: filepath.Join(t.TempDir(), "none")})
	if _, err := b.CheckPassword(ctx, "alice", []byte("pw")); codeOf(err) != CodeFail || !err.(*Error).Temporary() {
		t.Errorf("daemon down: %v", err)
	}
	if s := (&Error{Code: CodeBadAuth, Detail: "checkpass failed"}).Error(); s != "SASL(-13): authentication failure: checkpass failed" {
		t.Errorf("error text %q", s)
	}
}
