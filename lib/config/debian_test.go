package config

import (
	"os"
	"testing"
)

// The imapd.conf that Debian's cyrus-common 3.6.1 installs (a copy in
// testdata, and the live one when this machine has it) must load.
func TestDebianConfig(t *testing.T) {
	files := []string{"testdata/debian-imapd.conf"}
	if _, err := os.Stat("/etc/imapd.conf"); err == nil {
		files = append(files, "/etc/imapd.conf")
	}
	for _, f := range files {
		c, err := Load(f, "imap")
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if c.Configdirectory() == "" {
			t.Errorf("%s: no configdirectory", f)
		}
		if err := c.RequirePartitions(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	c, err := Load("testdata/debian-imapd.conf", "imap")
	if err != nil {
		t.Fatal(err)
	}
	if c.Altnamespace() || c.Unixhierarchysep() || !c.Hashimapspool() || c.Popminpoll().Minutes() != 1 {
		t.Errorf("Debian values: altnamespace=%v unixhierarchysep=%v hashimapspool=%v popminpoll=%v",
			c.Altnamespace(), c.Unixhierarchysep(), c.Hashimapspool(), c.Popminpoll())
	}
	if p := c.Partitions(); p["default"] != "/var/spool/cyrus/mail" || p["news"] != "/var/spool/cyrus/news" {
		t.Errorf("partitions %v", p)
	}
	if c.TlsSessionTimeout().Hours() != 24 {
		t.Errorf("tls_session_timeout: 1440 (minutes) = %v", c.TlsSessionTimeout())
	}
}

// TestOverflowOrder: Cyrus prints overflow keys in its hash table's order;
// this is the order real cyr_info 3.6.1 printed for Debian's file.
func TestOverflowOrder(t *testing.T) {
	c, err := Load("testdata/debian-imapd.conf", "cyr_info")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range c.OverflowEntries() {
		got = append(got, e.Key)
	}
	want := []string{"sasl_pwcheck_method", "sasl_auto_transition", "newsspool", "partition-default", "partition-news"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}
