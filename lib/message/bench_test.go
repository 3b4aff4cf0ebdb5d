package message

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func loadBenchCorpus(b *testing.B) [][]byte {
	b.Helper()
	files, _ := filepath.Glob("../../test/corpus/msgs/*.eml")
	if len(files) == 0 {
		b.Skip("no corpus")
	}
	var msgs [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, data)
	}
	return msgs
}

// BenchmarkParseCorpus parses every corpus message (from memory) and
// builds its cache entry: MB/s and messages/s.
func BenchmarkParseCorpus(b *testing.B) {
	msgs := loadBenchCorpus(b)
	total := 0
	for _, m := range msgs {
		total += len(m)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	opts := DefaultOptions()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			msg, err := Parse(bytes.NewReader(m), int64(len(m)), opts)
			if err != nil {
				b.Fatal(err)
			}
			_ = msg.CacheEntry()
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkParseLarge parses a 10 MB message with a base64 attachment:
// the streaming path (window refills, decoding and hashing).
func BenchmarkParseLarge(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("From: a@example.com\r\nSubject: large\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	buf.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := bytes.Repeat([]byte("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx"), 1)
	for buf.Len() < 10<<20 {
		buf.Write(line)
		buf.WriteString("\r\n")
	}
	buf.WriteString("--b--\r\n")
	m := buf.Bytes()
	b.SetBytes(int64(len(m)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(bytes.NewReader(m), int64(len(m)), DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPathological parses inputs where a naive port of Cyrus's
// parser is quadratic (a Mail.app Content-Type repeated in a large header
// block, thousands of RFC 2231 parameters) and very wide structures.
func BenchmarkPathological(b *testing.B) {
	var parts bytes.Buffer
	parts.WriteString("Content-Type: multipart/mixed; boundary=q\r\n\r\n")
	for i := 0; i < 20000; i++ {
		parts.WriteString("--q\r\n\r\n")
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"ct-ew-repeated", []byte(strings.Repeat("Content-Type: =?us-ascii?q?text/plain?=\r\n", 1000) +
			strings.Repeat("X-Pad: "+strings.Repeat("a", 1000)+"\r\n", 1000) + "\r\nbody")},
		{"rfc2231-params", []byte("Content-Type: text/plain" + strings.Repeat("; a*0=1; b*1=2", 20000) + "\r\n\r\nx")},
		{"addresses", []byte("To: " + strings.Repeat("a@b, ", 50000) + "\r\n\r\n")},
		{"encoded-words", []byte("Subject: " + strings.Repeat("=?utf-8?q?a?= ", 50000) + "\r\n\r\n")},
		{"parts", parts.Bytes()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for i := 0; i < b.N; i++ {
				if _, err := ParseBytes(c.data, DefaultOptions()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
