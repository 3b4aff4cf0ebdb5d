package common

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"strings"
	"testing"
)

func TestCorpusDeterministic(t *testing.T) {
	a := &Corpus{Seed: 7}
	b := &Corpus{Seed: 7}
	// b makes the messages in the other order: message i must not
	// depend on what was made before it
	var fromB [][]byte
	for i := 49; i >= 0; i-- {
		fromB = append([][]byte{b.Message(i).Raw}, fromB...)
	}
	for i := 0; i < 50; i++ {
		if !bytes.Equal(a.Message(i).Raw, fromB[i]) {
			t.Fatalf("message %d differs between two corpora with the same seed", i)
		}
	}
	c := &Corpus{Seed: 8}
	if bytes.Equal(a.Message(3).Raw, c.Message(3).Raw) {
		t.Fatal("seeds 7 and 8 make the same message 3")
	}
}

func TestCorpusMessages(t *testing.T) {
	c := &Corpus{Seed: 1}
	kinds := map[string]int{}
	rare, replies := 0, 0
	const n = 600
	for i := 0; i < n; i++ {
		m := c.Message(i)
		if bytes.Contains(bytes.ReplaceAll(m.Raw, []byte("\r\n"), nil), []byte("\n")) {
			t.Fatalf("message %d has a bare LF", i)
		}
		if len(m.Raw) < c.MinSize*8/10 || len(m.Raw) > c.MaxSize*13/10 {
			t.Errorf("message %d: %d bytes, outside %d–%d", i, len(m.Raw), c.MinSize, c.MaxSize)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatalf("message %d does not parse: %v", i, err)
		}
		if got := msg.Header.Get("Message-Id"); got != m.MessageID {
			t.Errorf("message %d: Message-ID %q, want %q", i, got, m.MessageID)
		}
		d, err := msg.Header.Date()
		if err != nil || !d.Equal(m.Date) {
			t.Errorf("message %d: Date %v (%v), want %v", i, d, err, m.Date)
		}
		from, err := msg.Header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Address != m.From || m.From != c.Sender(c.SenderIndex(i)) {
			t.Errorf("message %d: From %v (%v), want %s", i, from, err, m.From)
		}
		if p := c.Parent(i); p >= 0 {
			replies++
			if msg.Header.Get("In-Reply-To") != c.MessageID(p) {
				t.Errorf("message %d: In-Reply-To %q, want %q", i, msg.Header.Get("In-Reply-To"), c.MessageID(p))
			}
			refs := strings.Fields(msg.Header.Get("References"))
			if len(refs) == 0 || refs[len(refs)-1] != c.MessageID(p) {
				t.Errorf("message %d: References %v do not end with the parent", i, refs)
			}
			subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if !strings.HasPrefix(subj, "Re: ") {
				t.Errorf("message %d: reply subject %q", i, subj)
			}
		}
		text := bodyText(t, i, msg)
		if strings.Contains(text, c.Rare) != m.Rare {
			t.Errorf("message %d: rare word in text %v, Rare %v", i, !m.Rare, m.Rare)
		}
		if m.Rare != c.HasRare(i) {
			t.Errorf("message %d: HasRare disagrees", i)
		}
		if m.Rare {
			rare++
		}
		mt, _, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		kinds[mt]++
	}
	for _, k := range []string{"text/plain", "multipart/alternative", "multipart/mixed"} {
		if kinds[k] < n/10 {
			t.Errorf("only %d of %d messages are %s", kinds[k], n, k)
		}
	}
	if replies < n/5 || replies > n/2 {
		t.Errorf("%d replies in %d messages", replies, n)
	}
	if rare == 0 || rare > n/25 {
		t.Errorf("%d messages with the rare word in %d", rare, n)
	}
}

// bodyText returns the decoded text of a message's text parts, and
// checks that every base64 attachment decodes.
func bodyText(t *testing.T, i int, msg *mail.Message) string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("message %d: Content-Type: %v", i, err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, _ := io.ReadAll(msg.Body)
		return string(b)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var text strings.Builder
	parts := 0
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("message %d: part: %v", i, err)
		}
		parts++
		b, _ := io.ReadAll(p)
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			if _, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", "")); err != nil {
				t.Errorf("message %d: attachment: %v", i, err)
			}
			continue
		}
		text.Write(b)
	}
	if parts != 2 {
		t.Errorf("message %d: %d parts, want 2", i, parts)
	}
	return text.String()
}

func TestSummarise(t *testing.T) {
	s := Summarise([]float64{5, 1, 3, 2, 4})
	if s.N != 5 || s.Median != 3 || s.Min != 1 || s.Max != 5 || s.Q1 != 2 || s.Q3 != 4 {
		t.Fatalf("Summarise = %+v", s)
	}
	if got := s.Format(); got != "3.00 (1.00–5.00)" {
		t.Errorf("Format = %q", got)
	}
	if got := Summarise([]float64{1, 2}).Median; got != 1.5 {
		t.Errorf("median of 1, 2 = %v", got)
	}
	if got := Summarise(nil).Format(); got != "—" {
		t.Errorf("empty Format = %q", got)
	}
	if got := Num(1234.5); got != "1234" && got != "1235" {
		t.Errorf("Num(1234.5) = %q", got)
	}
}

func TestTreeAndPSS(t *testing.T) {
	pids := Tree(selfPID())
	if !contains(pids, selfPID()) {
		t.Fatalf("Tree(self) = %v", pids)
	}
	kib, n := TreePSS([]int{selfPID()})
	if n != 1 || kib <= 0 {
		t.Fatalf("TreePSS(self) = %d KiB over %d processes", kib, n)
	}
}

func selfPID() int { return os.Getpid() }

func contains(v []int, x int) bool {
	for _, y := range v {
		if y == x {
			return true
		}
	}
	return false
}
