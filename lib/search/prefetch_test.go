package search_test

// The prefetching path (message files read ahead by worker goroutines)
// against the plain one (the Source's OpenMessage, one file at a time):
// same answers with missing files, files longer than their records,
// files above the whole-read limit and unreadable records; no goroutine
// or descriptor left behind, also when a search ends in a panic.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
	"gyrus/lib/search"
)

// plainSource hides the view's fast paths (MessagePath, ReadCacheAt):
// Search then reads each file through OpenMessage, without prefetching.
type plainSource struct{ search.Source }

// faultySource is the view with unreadable records, or a panic at one.
type faultySource struct {
	*mailbox.View
	bad     map[uint32]bool
	panicAt uint32
}

func (f *faultySource) Record(seq uint32) (index.Record, error) {
	if seq == f.panicAt {
		panic("record read failed")
	}
	if f.bad[seq] {
		return index.Record{}, errors.New("unreadable record")
	}
	return f.View.Record(seq)
}

func prefetchMessage(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Sender %d <s%d@example.com>\r\nTo: u@example.org\r\nSubject: m %d\r\n", i, i, i)
	if i%4 == 0 {
		fmt.Fprintf(&b, "X-Tag: tag-%d\r\n", i%8)
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n")
	lines := 5
	if i%25 == 7 {
		lines = 3000 // ~200 KB: above the whole-read limit
	}
	for j := 0; j < lines; j++ {
		b.WriteString("filler text of the prefetch test, line after line\r\n")
	}
	if i%5 == 2 {
		b.WriteString("the needle is here\r\n")
	}
	return b.Bytes()
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}

func parseSearch(t *testing.T, line string) *imapwire.Search {
	p := imapwire.NewParser(strings.NewReader("t "+line+"\r\n"), imapwire.Options{KnownCharset: search.KnownCharset})
	cmd, err := p.ReadCommand()
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return cmd.Args.(*imapwire.Search)
}

// settle waits for the goroutine count to come back to want.
func settle(want int) int {
	n := runtime.NumGoroutine()
	for end := time.Now().Add(2 * time.Second); n > want && time.Now().Before(end); n = runtime.NumGoroutine() {
		time.Sleep(5 * time.Millisecond)
	}
	return n
}

func TestPrefetchSameAnswers(t *testing.T) {
	const n = 150
	dir := t.TempDir()
	sp := filepath.Join(dir, "spool")
	loc := mailbox.Location{Name: "user.pf", UniqueID: "id-pf", Partition: "default",
		Dir: sp, MetaDir: sp, StageDir: filepath.Join(dir, "stage."), Owner: "pf"}
	mb, err := mailbox.Create(loc, mailbox.CreateOptions{ACL: "pf\tlrswipkxtecdan\t"}, mailbox.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		st, err := mailbox.Stage(loc.StageDir, bytes.NewReader(prefetchMessage(i)))
		if err != nil {
			t.Fatal(err)
		}
		mi, err := st.Parse(message.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Append(&mailbox.NewMessage{Staged: st, Info: mi, InternalDate: time.Unix(1700000000+int64(i), 0)}); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// damage: files gone, a file longer than its record, one shorter
	for _, uid := range []uint32{8, 40, 41, 42, 43} {
		if err := os.Remove(loc.MessagePath(uid)); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(loc.MessagePath(14), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("appended needle\r\n")
	f.Close()
	if err := os.Truncate(loc.MessagePath(18), 60); err != nil {
		t.Fatal(err)
	}
	v, err := mb.NewView()
	if err != nil {
		t.Fatal(err)
	}
	progs := []string{
		"SEARCH BODY needle", "SEARCH TEXT needle", "SEARCH NOT BODY needle",
		"SEARCH HEADER X-Tag tag-4", "SEARCH HEADER X-Tag \"\"", "SEARCH BODY filler",
		"SEARCH OR BODY needle FROM s7@", "SEARCH BODY needle HEADER X-Tag tag",
	}
	// a first search opens what the view keeps open (its cache file)
	warm := parseSearch(t, "SEARCH FROM s1@")
	if _, err := search.Search(v, warm.Program, warm.Charset, nil); err != nil {
		t.Fatal(err)
	}
	baseG, baseFD := runtime.NumGoroutine(), openFDs(t)
	srcs := []search.Source{v, &faultySource{View: v, bad: map[uint32]bool{3: true, 77: true}}}
	for _, line := range progs {
		a := parseSearch(t, line)
		for k, src := range srcs {
			fast, err := search.Search(src, a.Program, a.Charset, nil)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			plain, err := search.Search(plainSource{src}, a.Program, a.Charset, nil)
			if err != nil {
				t.Fatalf("%s (plain): %v", line, err)
			}
			if !slices.Equal(fast.Seqs, plain.Seqs) {
				t.Errorf("%s (source %d): prefetching %v, plain %v", line, k, fast.Seqs, plain.Seqs)
			}
			if line == "SEARCH BODY needle" && k == 0 {
				// every fifth message, but not those whose file is gone
				// or cut short; the text appended to 14 lies outside its
				// sections, the needles of the large 33, 58... are found
				var want []uint32
				for seq := uint32(1); seq <= n; seq++ {
					if (seq-1)%5 == 2 && seq != 8 && seq != 43 && seq != 18 {
						want = append(want, seq)
					}
				}
				if !slices.Equal(fast.Seqs, want) {
					t.Errorf("%s: %v, want %v", line, fast.Seqs, want)
				}
			}
			if g := settle(baseG); g > baseG {
				t.Errorf("%s: %d goroutines after the search, %d before", line, g, baseG)
			}
			if fd := openFDs(t); fd > baseFD {
				t.Errorf("%s: %d descriptors open after the search, %d before", line, fd, baseFD)
			}
		}
	}
	// a search that ends in a panic midway stops its workers and
	// closes their files
	a := parseSearch(t, "SEARCH BODY needle")
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Error("the record panic did not reach the caller")
			}
		}()
		search.Search(&faultySource{View: v, panicAt: 60}, a.Program, a.Charset, nil)
	}()
	if g := settle(baseG); g > baseG {
		t.Errorf("after a panic: %d goroutines, %d before", g, baseG)
	}
	if fd := openFDs(t); fd > baseFD {
		t.Errorf("after a panic: %d descriptors open, %d before", fd, baseFD)
	}
}
