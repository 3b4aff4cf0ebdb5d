package imapwire

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// BenchmarkWriteFetchFlags writes the answer to "FETCH 1:10000 (FLAGS UID
// RFC822.SIZE)": one op is 10,000 responses.
func BenchmarkWriteFetchFlags(b *testing.B) {
	w := NewWriter(io.Discard)
	flags := [][]imap.Flag{{imap.FlagSeen}, {imap.FlagSeen, imap.FlagAnswered, "$Forwarded"}, nil}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for n := uint32(1); n <= 10000; n++ {
			f := w.Fetch(n)
			f.Flags(flags[n%3]).UID(imap.UID(n + 1000)).RFC822Size(int64(n) * 37)
			f.End()
		}
		w.StatusResponse("a", StatusOK, "", "Completed")
		w.Flush()
	}
}

func benchParse(b *testing.B, cmd string) {
	data := []byte(strings.Repeat(cmd, 1000))
	r := bytes.NewReader(data)
	p := NewParser(r, Options{})
	b.ReportAllocs()
	b.SetBytes(int64(len(cmd)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%1000 == 0 {
			b.StopTimer()
			r.Reset(data)
			p = NewParser(r, Options{})
			b.StartTimer()
		}
		if _, err := p.ReadCommand(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFetch parses a typical client FETCH.
func BenchmarkParseFetch(b *testing.B) {
	benchParse(b, "a12 UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (From To Subject Date)])\r\n")
}

// BenchmarkParseSearch parses a search program with nesting, dates,
// strings and sets.
func BenchmarkParseSearch(b *testing.B) {
	benchParse(b, "a13 UID SEARCH RETURN (COUNT) CHARSET UTF-8 OR (FROM \"alice\" SINCE 1-Jan-2020) (NOT SEEN LARGER 10000) UID 1:5000,6000:*\r\n")
}
