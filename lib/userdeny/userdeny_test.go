package userdeny

import (
	"path/filepath"
	"testing"
)

func TestParseVersions(t *testing.T) {
	w, m, err := Parse([]byte("2\timap*,!pop3\tgo away"))
	if err != nil || w != "imap*,!pop3" || m != "go away" {
		t.Fatal(w, m, err)
	}
	w, m, err = Parse([]byte("1\t*"))
	if err != nil || w != "*" || m != DefaultMessage {
		t.Fatal(w, m, err)
	}
	for _, bad := range []string{"", "3\t*", "0\t*", "2*", "x\t*"} {
		if _, _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if string(Encode("*", DefaultMessage)) != "2\t*\t"+DefaultMessage {
		t.Fatal("encode")
	}
}

func TestDeniedAndWildmat(t *testing.T) {
	cases := []struct {
		pats, svc string
		want      bool
	}{
		{"*", "imap", true},
		{"imap", "imaps", false},
		{"imap*", "imaps", true},
		{"!imaps,imap*", "imaps", false},
		{"!imaps,imap*", "imap", true},
		{"pop3,lmtp", "imap", false},
		{"[ip]*", "pop3", true},
		{"[^ip]*", "pop3", false},
		{"imap?", "imaps", true},
		{"", "imap", false},
	}
	for _, c := range cases {
		if got := Denied(c.pats, c.svc); got != c.want {
			t.Errorf("Denied(%q,%q)=%v", c.pats, c.svc, got)
		}
	}
}

func TestDB(t *testing.T) {
	p := filepath.Join(t.TempDir(), "user_deny.db")
	if _, err := Open(p, "flat", false); err != ErrNoDB {
		t.Fatalf("missing db: %v", err)
	}
	d, err := Open(p, "flat", true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Set("bob", "", ""); err != nil {
		t.Fatal(err)
	}
	if err := d.Set("eve", "pop3", "no pop"); err != nil {
		t.Fatal(err)
	}
	if den, msg, _ := d.Check("bob", "imap"); !den || msg != DefaultMessage {
		t.Fatal(den, msg)
	}
	if den, _, _ := d.Check("eve", "imap"); den {
		t.Fatal("eve imap denied")
	}
	var users []string
	d.Foreach(func(e Entry) error { users = append(users, e.User+"/"+e.Services); return nil })
	if len(users) != 2 || users[0] != "bob/*" || users[1] != "eve/pop3" {
		t.Fatal(users)
	}
	d.Delete("bob")
	if den, _, _ := d.Check("bob", "imap"); den {
		t.Fatal("bob still denied")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("2\t*\tmsg"))
	f.Add([]byte("1\timap"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, m, err := Parse(b)
		if err != nil {
			return
		}
		if len(b) > 0 && b[0] == '2' && len(b) > 1 && b[1] == '\t' {
			w2, m2, err := Parse(Encode(w, m))
			if err != nil || w2 != w || m2 != m {
				t.Fatalf("round trip %q %q -> %q %q %v", w, m, w2, m2, err)
			}
		}
	})
}

func FuzzWildmat(f *testing.F) {
	f.Add("imaps", "imap*")
	f.Add("a", "[a-")
	f.Fuzz(func(t *testing.T, text, pat string) {
		Wildmat(text, pat) // must not panic
		if !Wildmat(text, "*") {
			t.Fatal("* must match")
		}
	})
}
