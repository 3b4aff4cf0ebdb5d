package message

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../../test/corpus/msgs/*.eml")
	if len(files) < 300 {
		t.Fatalf("corpus missing (%d files)", len(files))
	}
	return files
}

// TestReadBack parses the corpus and reads every entry back: the items
// split again, the ENVELOPE rewrites to the same bytes, the subject and
// the search addresses decode to what the parser saw.
func TestReadBack(t *testing.T) {
	before := sinkRereads.Load()
	defer func() {
		if n := sinkRereads.Load() - before; n != 0 {
			t.Errorf("%d part contents were read twice", n)
		}
	}()
	for _, f := range corpusFiles(t) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r0 := sinkRereads.Load()
		m, err := ParseBytes(raw, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if sinkRereads.Load() != r0 {
			t.Errorf("%s: part content read twice", f)
		}
		items, n, err := SplitCacheEntry(m.CacheEntry())
		if err != nil || n != len(m.CacheEntry()) {
			t.Fatalf("%s: split: %v (%d)", f, err, n)
		}
		for i := range items {
			if !bytes.Equal(items[i], m.Items[i]) {
				t.Fatalf("%s: item %d differs after split", f, i)
			}
		}
		env, err := ParseEnvelope(items[ItemEnvelope])
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		b := &body{date: nstr{env.Date, env.HasDate}, subject: nstr{env.Subject, env.HasSubject},
			from: env.From, sender: env.Sender, replyTo: env.ReplyTo, to: env.To, cc: env.Cc, bcc: env.Bcc,
			hasFrom: env.From != nil, hasSender: env.Sender != nil, hasReplyTo: env.ReplyTo != nil,
			hasTo: env.To != nil, hasCc: env.Cc != nil, hasBcc: env.Bcc != nil,
			inReplyTo: nstr{env.InReplyTo, m.top.inReplyTo.valid}, messageID: nstr{env.MessageID, m.top.messageID.valid}}
		if got := appendEnvelope(nil, b); !bytes.Equal(got, items[ItemEnvelope]) && !m.top.hasSender && !m.top.hasReplyTo {
			t.Errorf("%s: envelope does not round-trip\n got %q\nwant %q", f, got, items[ItemEnvelope])
		}
		subj, ok, err := DecodedSubject(items[ItemSubject])
		if err != nil || ok != m.top.subject.valid || (ok && subj != decodeMIMEHeader(m.top.subject.s, 0)) {
			t.Errorf("%s: subject %q %v %v", f, subj, ok, err)
		}
		addrs := ParseSearchAddrs(items[ItemFrom])
		var want []Address
		for _, a := range m.top.from {
			want = append(want, a)
		}
		if len(addrs) != len(want) {
			t.Errorf("%s: %d search addresses in %q, %d parsed", f, len(addrs), items[ItemFrom], len(want))
			continue
		}
		for i, a := range addrs {
			w := want[i]
			switch {
			case w.IsGroupEnd():
				if !a.GroupEnd {
					t.Errorf("%s: address %d should end a group", f, i)
				}
			case w.IsGroupStart():
				if !a.GroupStart || a.Name != decodeMIMEHeader(w.Mailbox, 0) {
					t.Errorf("%s: address %d: group %+v", f, i, a)
				}
			case a.Mailbox != string(appendLower(nil, cString([]byte(w.Mailbox)))) || a.Domain != string(appendLower(nil, w.Domain)):
				if !bytes.ContainsAny([]byte(w.Mailbox+w.Domain), "<>@,;:\"") {
					t.Errorf("%s: address %d: %+v from %q, parsed %+v", f, i, a, items[ItemFrom], w)
				}
			}
		}
	}
}

// TestStreaming parses a message larger than the read window through a
// ReaderAt that returns short reads, and through one that fails.
func TestStreaming(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString("Subject: big\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: message/rfc822\r\n\r\n")
	buf.WriteString("Subject: inner\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for buf.Len() < 3*windowSize+123 {
		buf.WriteString("SGVsbG8gd29ybGQgSGVsbG8gd29ybGQgSGVsbG8gd29ybGQ=\r\n")
	}
	buf.WriteString(strings.Repeat("x", 2*windowSize) + "\r\n--zz--\r\n")
	data := buf.Bytes()
	want, err := ParseBytes(data, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(shortReader{data}, int64(len(data)), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.CacheEntry(), want.CacheEntry()) || got.GUID != want.GUID {
		t.Error("short reads change the result")
	}
	if want.GUID != sha1.Sum(data) {
		t.Error("GUID is not the SHA-1 of the file")
	}
	if _, err := Parse(shortReader{data[:1000]}, int64(len(data)), DefaultOptions()); err == nil {
		t.Error("a file shorter than its size must fail")
	}
}

// shortReader returns at most 777 bytes per ReadAt.
type shortReader struct{ b []byte }

func (s shortReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(s.b)) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 777)], s.b[off:])
	if n < len(p) {
		return n, nil
	}
	return n, nil
}

func TestIndexDates(t *testing.T) {
	m, err := ParseBytes([]byte("Subject: no date\r\n\r\n"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	old := time.Local
	time.Local = time.UTC
	defer func() { time.Local = old }()
	sd, gm := m.IndexDates(1700000000)
	if sd != 1699920000 || gm != 1700000000 {
		t.Errorf("IndexDates = %d %d", sd, gm)
	}
}

func TestResolveAndDecode(t *testing.T) {
	msg := []byte("Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8=\r\n--b\r\n" +
		"Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner\r\n--b--\r\n")
	m, err := ParseBytes(msg, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	tree, err := DecodeSectionMap(m.Items[ItemBodyStructure], m.Items[ItemSection], uint32(len(msg)))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"1":        "SGVsbG8=",
		"1.MIME":   "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		"2":        "Subject: in\r\n\r\ninner",
		"2.HEADER": "Subject: in\r\n\r\n",
		"2.TEXT":   "inner",
		"2.1":      "inner",
		"HEADER":   "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n",
	}
	for spec, want := range cases {
		loc, ok := tree.Resolve(spec)
		if !ok {
			t.Errorf("%s: not found", spec)
			continue
		}
		got, err := ReadSection(bytes.NewReader(msg), int64(len(msg)), loc)
		if err != nil || string(got) != want {
			t.Errorf("BODY[%s] = %q, %v; want %q", spec, got, err, want)
		}
	}
	for _, spec := range []string{"3", "1.1", "MIME", "1.HEADER", "0", "x"} {
		if _, ok := tree.Resolve(spec); ok {
			t.Errorf("BODY[%s] should be NIL", spec)
		}
	}
	loc, _ := tree.Resolve("1")
	dec, ok := DecodeBody(msg[loc.Offset:loc.Offset+loc.Length], loc.Encoding)
	if !ok || string(dec) != "Hello" {
		t.Errorf("BINARY[1] = %q %v", dec, ok)
	}
	if r := tree.Root(); r.Type != "MULTIPART" || len(r.Parts) != 2 || r.Parts[1].Sub == nil {
		t.Errorf("tree: %+v", r)
	}
}

// TestParseBytesInPlace parses every corpus message both in place
// (ParseBytes, as lmtpd does) and through the read window in short
// reads: the same cache entry and GUID.
func TestParseBytesInPlace(t *testing.T) {
	files, _ := filepath.Glob("../../test/corpus/msgs/*.eml")
	if len(files) == 0 {
		t.Skip("no corpus")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in, err := ParseBytes(data, DefaultOptions())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		win, err := Parse(shortReader{data}, int64(len(data)), DefaultOptions())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !bytes.Equal(in.CacheEntry(), win.CacheEntry()) || in.GUID != win.GUID {
			t.Errorf("%s: in-place and windowed parses differ", f)
		}
	}
}
