package config

import (
	"bytes"
	"os"
	"testing"
)

// man/imapd.conf.5 is generated from the table; it must be up to date.
func TestManPageUpToDate(t *testing.T) {
	var b bytes.Buffer
	if err := WriteManPage(&b); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../man/imapd.conf.5")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Fatal("man/imapd.conf.5 is stale: run make man")
	}
}
