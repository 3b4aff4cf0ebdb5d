package search_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox"
	"gyrus/lib/message"
	"gyrus/lib/search"
)

// benchMailbox builds a mailbox of n messages (~2 KB bodies, a few
// charsets and encodings) once per benchmark.
func benchMailbox(b *testing.B, n int) *mailbox.View {
	root := b.TempDir()
	sp := filepath.Join(root, "spool", "inbox")
	loc := mailbox.Location{Name: "user.bench", UniqueID: "id-bench", Partition: "default",
		Dir: sp, MetaDir: sp, StageDir: filepath.Join(root, "spool", "stage."), Owner: "bench"}
	mb, err := mailbox.Create(loc, mailbox.CreateOptions{ACL: "bench\tlrswipkxtecdan\t"}, mailbox.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mb.Close() })
	tx, err := mb.Begin()
	if err != nil {
		b.Fatal(err)
	}
	line := "The quick brown fox jumps over the lazy dog while the search engine streams text.\r\n"
	for i := 0; i < n; i++ {
		var body bytes.Buffer
		ct := "text/plain; charset=utf-8"
		if i%3 == 1 {
			ct = "text/plain; charset=iso-8859-1"
		}
		fmt.Fprintf(&body, "From: Sender %d <s%d@example.com>\r\nTo: alice@example.com\r\nSubject: message %d caf\xc3\xa9\r\n"+
			"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <%d@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: %s\r\n\r\n", i, i, i, i, ct)
		for j := 0; j < 24; j++ {
			body.WriteString(line)
		}
		if i%1000 == 7 {
			body.WriteString("a rare needle word\r\n")
		}
		st, err := mailbox.Stage(loc.StageDir, bytes.NewReader(body.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		mi, err := st.Parse(message.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Append(&mailbox.NewMessage{Staged: st, Info: mi, InternalDate: time.Unix(1700000000+int64(i), 0)}); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	v, err := mb.NewView()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	return v
}

func benchSearch(b *testing.B, prog *imapwire.SearchKey, want int) {
	v := benchMailbox(b, 10000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := search.Search(v, prog, "", nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Seqs) != want {
			b.Fatalf("%d matches, want %d", len(res.Seqs), want)
		}
	}
}

func and(keys ...*imapwire.SearchKey) *imapwire.SearchKey {
	return &imapwire.SearchKey{Op: imapwire.SearchAnd, Keys: keys}
}

// BenchmarkSearchBody10k is SEARCH BODY over 10,000 messages (the word is
// in 10 of them, so nearly every body is read to its end; 6 match, as
// in Cyrus: in 4 iso-8859-1 bodies the word lies after the last whole
// 4096-byte block, which Cyrus does not search).
func BenchmarkSearchBody10k(b *testing.B) {
	benchSearch(b, and(&imapwire.SearchKey{Op: imapwire.SearchBody, Text: "needle"}), 6)
}

// BenchmarkSearchFrom10k is SEARCH FROM over the cached items.
func BenchmarkSearchFrom10k(b *testing.B) {
	benchSearch(b, and(&imapwire.SearchKey{Op: imapwire.SearchFrom, Text: "s9999@"}), 1)
}

// BenchmarkSearchFlags10k is SEARCH UNSEEN LARGER 100: index only.
func BenchmarkSearchFlags10k(b *testing.B) {
	benchSearch(b, and(&imapwire.SearchKey{Op: imapwire.SearchUnseen}, &imapwire.SearchKey{Op: imapwire.SearchLarger, Num: 100}), 10000)
}
