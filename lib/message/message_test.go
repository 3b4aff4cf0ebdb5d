package message

import (
	"bytes"
	"encoding/hex"
	"os"
	"testing"
)

// TestSpecVector checks the message and cyrus.cache entry that real Cyrus
// 3.6.1 produced in shared/spec/formats-test-vectors.md §3, §5.2 and §6.
func TestSpecVector(t *testing.T) {
	msg, err := os.ReadFile("testdata/vector-1.eml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/vector-1.cache")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseBytes(msg, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	got := m.CacheEntry()
	if !bytes.Equal(got, want) {
		t.Errorf("cache entry differs\n got %q\nwant %q", got, want)
	}
	if c := m.CacheCRC(); c != 0x375468aa {
		t.Errorf("cache_crc = %08x, want 375468aa", c)
	}
	if g := hex.EncodeToString(m.GUID[:]); g != "97e5ea9cf8cbb9386e1e0f3f6e0766dbdc5f9ecf" {
		t.Errorf("GUID = %s", g)
	}
	if m.SentDate != 1699920000 || m.GMTime != 1700000000 || m.Size != 142 || m.HeaderSize != 135 {
		t.Errorf("sentdate %d gmtime %d size %d header_size %d", m.SentDate, m.GMTime, m.Size, m.HeaderSize)
	}
}
