package config

import (
	"strings"
	"testing"
)

// TestTable checks the rows against each other: the properties that the
// parser, the generator and cyr_info rely on.
func TestTable(t *testing.T) {
	opts := Options()
	cyrus := 0
	for i := range opts {
		if !opts[i].Extension {
			cyrus++
		}
	}
	if cyrus != 526 {
		t.Errorf("%d Cyrus options, want the 526 of Debian's Cyrus 3.6.1", cyrus)
	}
	seen := map[string]bool{}
	for i := range opts {
		o := &opts[i]
		if seen[o.Key] {
			t.Errorf("%s twice", o.Key)
		}
		seen[o.Key] = true
		if o.Key != strings.ToLower(o.Key) || strings.ContainsAny(o.Key, " :") {
			t.Errorf("%s: bad key", o.Key)
		}
		if o.Doc == "" || strings.Contains(o.Doc, "\n") || !strings.HasSuffix(o.Doc, ".") {
			t.Errorf("%s: doc must be one sentence line: %q", o.Key, o.Doc)
		}
		if o.Modified == "" {
			t.Errorf("%s: no version", o.Key)
		}
		switch o.Type {
		case Enum, StringList, Bitfield:
			if len(o.Values) == 0 {
				t.Errorf("%s: %s without values", o.Key, o.Type)
			}
			if o.Type == Bitfield && len(o.Values) > 63 {
				t.Errorf("%s: too many bits", o.Key)
			}
		default:
			if len(o.Values) != 0 {
				t.Errorf("%s: values on a %s", o.Key, o.Type)
			}
		}
		if (o.Type == Duration) != (o.Unit != 0) {
			t.Errorf("%s: unit %q on a %s", o.Key, o.Unit, o.Type)
		}
		if o.Type == Duration && !strings.ContainsRune("smhd", rune(o.Unit)) {
			t.Errorf("%s: unit %q", o.Key, o.Unit)
		}
		if o.Replacement != "" {
			r, ok := Lookup(o.Replacement)
			switch {
			case !o.Deprecated():
				t.Errorf("%s: replacement without deprecation", o.Key)
			case !ok:
				t.Errorf("%s: replacement %s is not an option", o.Key, o.Replacement)
			case r.Deprecated():
				t.Errorf("%s: replacement %s is deprecated too", o.Key, o.Replacement)
			case r.Type != o.Type || strings.Join(r.Values, " ") != strings.Join(o.Values, " "):
				t.Errorf("%s: replacement %s has another type", o.Key, o.Replacement)
			case o.Type == Duration && r.Unit != o.Unit:
				t.Errorf("%s: replacement %s has another unit", o.Key, o.Replacement)
			}
		}
		if o.Deprecated() && o.Implemented {
			t.Errorf("%s: deprecated options are implemented through their replacement", o.Key)
		}
	}
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"mboxlist_db": "MboxlistDb", "configdirectory": "Configdirectory",
		"vnd.cyrus.log": "VndCyrusLog", "redirect-dsn": "RedirectDsn", "VEVENT": "VEVENT",
		"tls_server_ca_dir": "TlsServerCaDir",
	} {
		if got := goName(in); got != want {
			t.Errorf("GoName(%q) = %q, want %q", in, got, want)
		}
	}
}
