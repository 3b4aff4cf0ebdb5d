package config

import (
	"errors"
	"os"
	"testing"
)

// FuzzParse feeds arbitrary imapd.conf text to the reader: it must never
// panic, every failure must be a *Error with a file name, and a config
// that loads must answer every accessor.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		base,
		base + "timeout: 1h30\nimap_timeout: 5\nhttpmodules: caldav carddav\n",
		base + "virtdomains: yes\nsieve_extensions: imapflags\ntls_cert_file: /x\n",
		base + "admins: a\\\n b\n# c\n@include: /nonexistent\n",
		"configdirectory: {configdirectory}\ndefaultpartition: Ab1\npartition-ab1: /x\n",
		base + "quotawarn: 0x7fffffffffffffff\nsync_timeout: -\n",
	} {
		f.Add([]byte(s), "imap")
	}
	f.Fuzz(func(t *testing.T, data []byte, ident string) {
		l := newLoader("fuzz.conf", ident)
		l.read = func(string) ([]byte, os.FileInfo, error) { return nil, nil, os.ErrNotExist }
		err := l.text("fuzz.conf", data)
		var c *Config
		if err == nil {
			c, err = l.finish()
		}
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File == "" {
				t.Fatalf("error %v is not a *config.Error with a file", err)
			}
			return
		}
		if c.Configdirectory() == "" {
			t.Fatal("loaded without configdirectory")
		}
		_ = c.Settings()
		_ = c.OverflowEntries()
		_ = c.Partitions()
		_ = c.RequirePartitions()
		_ = c.Timeout()
		_ = c.SyncHostFor("x")
	})
}
