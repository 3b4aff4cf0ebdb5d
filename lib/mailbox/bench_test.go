package mailbox

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"sync"
	"testing"
	"time"

	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

// benchAppend appends b.N messages, per transactions of batch, each
// staged (written + fsynced) like lmtpd does, parse excluded (that is
// lib/message's cost). Everything is fsynced as in production.
func benchAppend(b *testing.B, batch int) {
	root := b.TempDir()
	loc := testLoc(b, root, "inbox")
	mb, err := Create(loc, CreateOptions{}, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer mb.Close()
	body := testMessage(1)
	mi0, err := message.ParseBytes(body, message.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	info := InfoFromMessage(mi0)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	start := time.Now()
	for done := 0; done < b.N; {
		n := batch
		if b.N-done < n {
			n = b.N - done
		}
		tx, err := mb.Begin()
		if err != nil {
			b.Fatal(err)
		}
		var sts []*Staged
		for i := 0; i < n; i++ {
			st, err := Stage(loc.StageDir, bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			sts = append(sts, st)
			if _, err := tx.Append(&NewMessage{Staged: st, Info: info}); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		for _, st := range sts {
			st.Close()
		}
		done += n
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

func BenchmarkAppendSingle(b *testing.B)   { benchAppend(b, 1) }
func BenchmarkAppendBatch10(b *testing.B)  { benchAppend(b, 10) }
func BenchmarkAppendBatch100(b *testing.B) { benchAppend(b, 100) }

var (
	bigOnce sync.Once
	bigLoc  Location
	bigErr  error
)

// bigMailbox builds (once) a mailbox with 100,000 records and their
// cache entries; the message files are left out (not needed to read the
// index and cache).
func bigMailbox(b *testing.B) Location {
	bigOnce.Do(func() {
		root, err := tmpDirOutsideTest()
		if err != nil {
			bigErr = err
			return
		}
		loc := testLoc(b, root, "big")
		mb, err := Create(loc, CreateOptions{}, DefaultOptions())
		if err != nil {
			bigErr = err
			return
		}
		defer mb.Close()
		tx, err := mb.Begin()
		if err != nil {
			bigErr = err
			return
		}
		for i := 1; i <= 100000; i++ {
			m, err := message.ParseBytes(testMessage(i), message.DefaultOptions())
			if err != nil {
				bigErr = err
				return
			}
			entry := m.CacheEntry()
			off, err := tx.addCache(entry)
			if err != nil {
				bigErr = err
				return
			}
			r := index.Record{UID: uint32(i), InternalDate: 1700000000, SentDate: m.SentDate, Size: m.Size,
				HeaderSize: m.HeaderSize, GMTime: m.GMTime, CacheOffset: off, CacheVersion: index.CacheVersion,
				GUID: sha1.Sum(testMessage(i)), CacheCRC: index.CacheCRC(entry)}
			if _, err := tx.appendRecord(r, false); err != nil {
				bigErr = err
				return
			}
		}
		bigErr = tx.Commit()
		bigLoc = loc
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigLoc
}

// BenchmarkOpenView100k: open a 100k-message mailbox and build a session
// view of it (SELECT).
func BenchmarkOpenView100k(b *testing.B) {
	loc := bigMailbox(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mb, err := Open(loc, DefaultOptions(), ReadOnly)
		if err != nil {
			b.Fatal(err)
		}
		v, err := mb.NewView()
		if err != nil {
			b.Fatal(err)
		}
		if v.Len() != 100000 {
			b.Fatalf("len %d", v.Len())
		}
		v.Close()
		mb.Close()
	}
}

// BenchmarkRefresh100k: NOOP on a 100k-message mailbox, when nothing
// changed and after another handle changed one message's flags.
func BenchmarkRefresh100k(b *testing.B) {
	loc := bigMailbox(b)
	mb, _ := Open(loc, DefaultOptions(), ReadOnly)
	defer mb.Close()
	v, _ := mb.NewView()
	defer v.Close()
	b.Run("unchanged", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := v.Refresh(); err != nil {
				b.Fatal(err)
			}
		}
	})
	w, _ := Open(loc, DefaultOptions(), ReadWrite)
	defer w.Close()
	b.Run("oneflag", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			tx, err := w.Begin()
			if err != nil {
				b.Fatal(err)
			}
			uid := uint32(1 + i%100000)
			r, _ := tx.Record(uid)
			mode := StoreAdd
			if r.SystemFlags&index.FlagFlagged != 0 {
				mode = StoreRemove
			}
			res, err := tx.SetFlags([]uint32{uid}, FlagChange{Mode: mode, System: index.FlagFlagged})
			if err != nil || !res[0].Changed {
				b.Fatalf("%v %+v", err, res)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			ch, err := v.Refresh()
			if err != nil || len(ch.Changed) != 1 {
				b.Fatalf("%v %+v", err, ch)
			}
		}
	})
}

// BenchmarkFetchEnvelope10k: FETCH 1:10000 ENVELOPE from the cache.
func BenchmarkFetchEnvelope10k(b *testing.B) {
	loc := bigMailbox(b)
	mb, _ := Open(loc, DefaultOptions(), ReadOnly)
	defer mb.Close()
	v, _ := mb.NewView()
	defer v.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		for seq := uint32(1); seq <= 10000; seq++ {
			e, err := v.Cache(seq)
			if err != nil {
				b.Fatal(err)
			}
			n += len(e.Items[index.CacheEnvelope])
		}
		if n == 0 {
			b.Fatal("no envelopes")
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "envelopes/s")
}

var _ = fmt.Sprint
