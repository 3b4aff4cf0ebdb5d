package search_test

// Benchmarks over generated mailboxes of 10,000 and 50,000 messages.
//
//	go test -run XXX -bench . -benchtime 3x ./lib/search/
//
// Each mailbox is built once per test binary (10k: ~1 min, 50k: ~4 min
// on 2 cores) and removed at exit. With GYRUS_SEARCH_BENCH_DIR set, the
// mailboxes are kept there and reused by later runs (remove the
// directory after changing the generator).

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox"
	"gyrus/lib/message"
	"gyrus/lib/search"
)

// fixture is a generated mailbox and what the generator knows of it.
type fixture struct {
	v    *mailbox.View
	dir  string
	root []int // root[i]: index of the first message of i's thread
}

var (
	fixMu    sync.Mutex
	fixtures = map[int]*fixture{}
	fixTemp  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixTemp != "" {
		os.RemoveAll(fixTemp)
	}
	os.Exit(code)
}

// benchLine is the body text; a body is 24 such lines (~2 KB).
const benchLine = "The quick brown fox jumps over the lazy dog while the search engine streams text.\r\n"

// parentOf is the message message i replies to (-1: it starts a thread):
// every third message starts a thread, the others answer one of the
// 300 messages before them.
func parentOf(i int) int {
	if i%3 == 0 {
		return -1
	}
	return i - 1 - (i*7919)%min(i, 300)
}

// benchMessage is message i: From "Sender i <si@example.com>", To one of
// 100 addresses, a thread subject, an X-Foo header on every tenth
// message, a Date spread around the internal date in four time zones,
// References/In-Reply-To for replies; utf-8 or (i%3 == 1) iso-8859-1
// text, every seventh multipart/alternative with an HTML part; "a rare
// needle word" in the messages i%1000 == 7 (which stay single-part).
func benchMessage(i int, root []int) []byte {
	var b bytes.Buffer
	ct := "text/plain; charset=utf-8"
	if i%3 == 1 {
		ct = "text/plain; charset=iso-8859-1"
	}
	zones := []string{"+0000", "-0500", "+0100", "+0900"}
	zone := zones[i%4]
	loc := time.FixedZone(zone, map[string]int{"+0000": 0, "-0500": -5 * 3600, "+0100": 3600, "+0900": 9 * 3600}[zone])
	date := time.Unix(1700000000+int64(i)*60+int64((i*104729)%21600)-10800, 0).In(loc)
	subj := fmt.Sprintf("topic %d caf\xc3\xa9", root[i])
	if root[i] != i {
		subj = "Re: " + subj
	}
	fmt.Fprintf(&b, "From: Sender %d <s%d@example.com>\r\nTo: User %d <u%d@example.org>\r\nSubject: %s\r\n"+
		"Date: %s\r\nMessage-ID: <%d@example.com>\r\n", i, i, i%100, i%100, subj, date.Format(time.RFC1123Z), i)
	if p := parentOf(i); p >= 0 {
		var refs []string
		for a := p; a >= 0 && len(refs) < 5; a = parentOf(a) {
			refs = append([]string{fmt.Sprintf("<%d@example.com>", a)}, refs...)
		}
		fmt.Fprintf(&b, "In-Reply-To: <%d@example.com>\r\nReferences: %s\r\n", p, strings.Join(refs, "\r\n "))
	}
	if i%10 == 0 {
		fmt.Fprintf(&b, "X-Foo: value-%d-end\r\n", i)
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	if i%7 == 3 && i%1000 != 7 {
		b.WriteString("Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: " + ct + "\r\n\r\n")
		for j := 0; j < 12; j++ {
			b.WriteString(benchLine)
		}
		b.WriteString("--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>\r\n")
		for j := 0; j < 12; j++ {
			b.WriteString("<p>" + benchLine)
		}
		b.WriteString("</body></html>\r\n--b1--\r\n")
		return b.Bytes()
	}
	b.WriteString("Content-Type: " + ct + "\r\n\r\n")
	for j := 0; j < 24; j++ {
		b.WriteString(benchLine)
	}
	if i%1000 == 7 {
		b.WriteString("a rare needle word\r\n")
	}
	return b.Bytes()
}

// benchMailbox returns the mailbox of n generated messages (built on
// first use).
func benchMailbox(b *testing.B, n int) *fixture {
	fixMu.Lock()
	defer fixMu.Unlock()
	if f := fixtures[n]; f != nil {
		return f
	}
	base := os.Getenv("GYRUS_SEARCH_BENCH_DIR")
	if base == "" {
		if fixTemp == "" {
			d, err := os.MkdirTemp("", "searchbench")
			if err != nil {
				b.Fatal(err)
			}
			fixTemp = d
		}
		base = fixTemp
	}
	root := filepath.Join(base, fmt.Sprintf("m%d", n))
	sp := filepath.Join(root, "spool", "inbox")
	loc := mailbox.Location{Name: "user.bench", UniqueID: "id-bench", Partition: "default",
		Dir: sp, MetaDir: sp, StageDir: filepath.Join(root, "spool", "stage."), Owner: "bench"}
	roots := make([]int, n)
	for i := range roots {
		roots[i] = i
		if p := parentOf(i); p >= 0 {
			roots[i] = roots[p]
		}
	}
	var mb *mailbox.Mailbox
	var err error
	if _, serr := os.Stat(filepath.Join(root, "complete")); serr == nil {
		mb, err = mailbox.Open(loc, mailbox.DefaultOptions(), mailbox.ReadOnly)
		if err != nil {
			b.Fatal(err)
		}
	} else {
		os.RemoveAll(root)
		mb, err = mailbox.Create(loc, mailbox.CreateOptions{ACL: "bench\tlrswipkxtecdan\t"}, mailbox.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; {
			tx, err := mb.Begin()
			if err != nil {
				b.Fatal(err)
			}
			for end := min(i+1000, n); i < end; i++ {
				st, err := mailbox.Stage(loc.StageDir, bytes.NewReader(benchMessage(i, roots)))
				if err != nil {
					b.Fatal(err)
				}
				mi, err := st.Parse(message.DefaultOptions())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tx.Append(&mailbox.NewMessage{Staged: st, Info: mi, InternalDate: time.Unix(1700000000+int64(i)*60, 0)}); err != nil {
					b.Fatal(err)
				}
				st.Close()
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(root, "complete"), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	v, err := mb.NewView()
	if err != nil {
		b.Fatal(err)
	}
	if v.Len() != uint32(n) {
		b.Fatalf("fixture %s has %d messages, want %d", root, v.Len(), n)
	}
	f := &fixture{v: v, dir: sp, root: roots}
	fixtures[n] = f
	return f
}

// parse reads one SEARCH, SORT or THREAD command line with imapwire.
func parse(b *testing.B, line string) any {
	p := imapwire.NewParser(strings.NewReader("t "+line+"\r\n"), imapwire.Options{KnownCharset: search.KnownCharset})
	cmd, err := p.ReadCommand()
	if err != nil {
		b.Fatalf("%s: %v", line, err)
	}
	return cmd.Args
}

// dropCache evicts the fixture's files from the page cache (cold runs).
func dropCache(b *testing.B, dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range ents {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		unix.Fdatasync(int(f.Fd()))
		unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
	}
}

func runSearch(b *testing.B, n int, line string, want int, cold bool) {
	f := benchMailbox(b, n)
	a := parse(b, line).(*imapwire.Search)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if cold {
			b.StopTimer()
			dropCache(b, f.dir)
			b.StartTimer()
		}
		res, err := search.Search(f.v, a.Program, a.Charset, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Seqs) != want {
			b.Fatalf("%s: %d matches, want %d", line, len(res.Seqs), want)
		}
	}
}

// count is how many of the n generated messages satisfy fn.
func count(n int, fn func(i int) bool) int {
	c := 0
	for i := 0; i < n; i++ {
		if fn(i) {
			c++
		}
	}
	return c
}

// BenchmarkSearchBody10k is SEARCH BODY over 10,000 messages (the word is
// in 10 of them, so nearly every body is read to its end; 6 match, as
// in Cyrus: in 4 iso-8859-1 bodies the word lies after the last whole
// 4096-byte block, which Cyrus does not search). Warm page cache.
func BenchmarkSearchBody10k(b *testing.B) { runSearch(b, 10000, "SEARCH BODY needle", 6, false) }

// BenchmarkSearchBody10kCold is the same with the mailbox's files evicted
// from the page cache before each search.
func BenchmarkSearchBody10kCold(b *testing.B) { runSearch(b, 10000, "SEARCH BODY needle", 6, true) }

// BenchmarkSearchFrom10k is SEARCH FROM over the cached items.
func BenchmarkSearchFrom10k(b *testing.B) { runSearch(b, 10000, "SEARCH FROM s9999@", 1, false) }

// BenchmarkSearchFlags10k is SEARCH UNSEEN LARGER 100: index only.
func BenchmarkSearchFlags10k(b *testing.B) {
	runSearch(b, 10000, "SEARCH UNSEEN LARGER 100", 10000, false)
}

// BenchmarkSearch50k covers the other search paths on 50,000 messages.
func BenchmarkSearch50k(b *testing.B) {
	const n = 50000
	f := benchMailbox(b, n)
	// the needle is in the messages i%1000 == 7; the iso-8859-1 ones
	// (i%3 == 1) are shorter than one 4096-byte block: never searched
	body := count(n, func(i int) bool { return i%1000 == 7 && i%3 != 1 })
	cases := []struct {
		name, line string
		want       int
	}{
		{"FROM", "SEARCH FROM s49999@", 1},
		{"SUBJECT", "SEARCH SUBJECT \"topic 4242 caf\"", count(n, func(i int) bool { return f.root[i] == 4242 })},
		{"TO", "SEARCH TO u42@", n / 100},
		{"HEADER_X-Foo", "SEARCH HEADER X-Foo value-770-end", 1},
		{"BODY", "SEARCH BODY needle", body},
		{"TEXT", "SEARCH TEXT needle", body},
		{"FLAGS_SIZE", "SEARCH UNSEEN LARGER 100", n},
		{"OR_FROM_TO", "SEARCH OR FROM s1234@ TO u43@", 1 + n/100},
		{"NOT_SUBJECT", "SEARCH NOT SUBJECT re:", count(n, func(i int) bool { return f.root[i] == i })},
		{"AND_NOT_OR", "SEARCH UNDELETED NOT OR FROM s1@ SUBJECT \"topic 3 \" SINCE 1-Jan-2000", n - count(n, func(i int) bool { return i == 1 || f.root[i] == 3 })},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { runSearch(b, n, c.line, c.want, false) })
	}
}

// BenchmarkSort50k is SORT over all of 50,000 messages.
func BenchmarkSort50k(b *testing.B) { benchSort(b, 50000) }

// BenchmarkSort10k is SORT over all of 10,000 messages (the mailbox
// builds in well under a minute).
func BenchmarkSort10k(b *testing.B) { benchSort(b, 10000) }

func benchSort(b *testing.B, n int) {
	f := benchMailbox(b, n)
	for _, key := range []string{"ARRIVAL", "DATE", "SUBJECT", "FROM", "REVERSE ARRIVAL"} {
		a := parse(b, "SORT ("+key+") UTF-8 ALL").(*imapwire.Sort)
		b.Run(strings.ReplaceAll(key, " ", "_"), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, err := search.Search(f.v, a.Program, a.Charset, nil)
				if err != nil {
					b.Fatal(err)
				}
				seqs, _, err := search.Sort(f.v, a.Criteria, res, nil)
				if err != nil || len(seqs) != n {
					b.Fatalf("%d sorted, %v", len(seqs), err)
				}
			}
		})
	}
}

// BenchmarkThread50k is THREAD over all of 50,000 messages.
func BenchmarkThread50k(b *testing.B) { benchThread(b, 50000) }

// BenchmarkThread10k is THREAD over all of 10,000 messages.
func BenchmarkThread10k(b *testing.B) { benchThread(b, 10000) }

func benchThread(b *testing.B, n int) {
	f := benchMailbox(b, n)
	threads := count(n, func(i int) bool { return f.root[i] == i })
	for _, alg := range []string{"REFERENCES", "ORDEREDSUBJECT"} {
		a := parse(b, "THREAD "+alg+" UTF-8 ALL").(*imapwire.Thread)
		b.Run(alg, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, err := search.Search(f.v, a.Program, a.Charset, nil)
				if err != nil {
					b.Fatal(err)
				}
				th, err := search.Threads(f.v, a.Algorithm, res, nil)
				if err != nil {
					b.Fatal(err)
				}
				if len(th) != threads {
					b.Fatalf("%d threads, want %d", len(th), threads)
				}
			}
		})
	}
}
