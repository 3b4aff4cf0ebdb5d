package message

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// FuzzParse: any bytes parse without panic, within bounded memory and
// reading every byte once, into a well-formed cache entry whose BODY,
// BODYSTRUCTURE and SECTION items read back.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../../test/corpus/msgs/*.eml")
	for i, s := range seeds {
		if i%7 != 0 { // a sample keeps the seed run short
			continue
		}
		if b, err := os.ReadFile(s); err == nil && len(b) < 8192 {
			f.Add(b)
		}
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n--x--\r\n"))
	f.Add([]byte("Subject: =?utf-8?b?w6k=?= =?utf-8?q?=C3?=\r\nContent-Type: =?us-ascii?q?text/plain?=\r\n\r\n"))
	f.Add([]byte("Content-Type: text/plain; a*0*=utf-8''%C3; a*1=x; a*2*=%A9\r\nDate: Mon, 1 Jan 2001 00:00 \xc9\r\n\r\n"))
	opts := []Options{DefaultOptions(), {MaxHeaderLines: 3, BoundaryLimit: 2, RFC2046Strict: true, RFC2047UTF8: true}}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, o := range opts {
			orig := bytes.Clone(data)
			var before, after runtime.MemStats
			rereads := sinkRereads.Load()
			runtime.ReadMemStats(&before)
			m, err := ParseBytes(data, o)
			runtime.ReadMemStats(&after)
			// Only a NUL in a header block (which cuts the block
			// short in Cyrus's accounting) makes a part's content be
			// read again.
			if sinkRereads.Load() != rereads && !bytes.Contains(data, []byte{0}) {
				t.Fatalf("a part's content was read twice")
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			// Output is linear in the input: a byte of input never
			// costs more than a few hundred bytes of memory.
			if grew := after.TotalAlloc - before.TotalAlloc; grew > uint64(512*len(data)+4<<20) {
				t.Fatalf("%d bytes of input allocated %d bytes", len(data), grew)
			}
			checkEntry(t, m, uint32(len(data)))
			// ParseBytes reads the bytes in place: the same result as
			// through a window, and the input untouched
			w, err := Parse(bytes.NewReader(orig), int64(len(orig)), o)
			if err != nil {
				t.Fatalf("windowed parse: %v", err)
			}
			if !bytes.Equal(w.CacheEntry(), m.CacheEntry()) || w.GUID != m.GUID {
				t.Fatal("in-place and windowed parses differ")
			}
			if !bytes.Equal(orig, data) {
				t.Fatal("the parse changed its input")
			}
		}
	})
}

// checkEntry verifies the invariants every parse must keep.
func checkEntry(t *testing.T, m *Message, size uint32) {
	t.Helper()
	e := m.CacheEntry()
	if len(e)%4 != 0 {
		t.Fatalf("entry length %d not a multiple of 4", len(e))
	}
	p := 0
	for i := 0; i < NumItems; i++ {
		if p+4 > len(e) {
			t.Fatalf("entry ends before item %d", i)
		}
		n := int(binary.BigEndian.Uint32(e[p:]))
		if !bytes.Equal(e[p+4:p+4+n], m.Items[i]) {
			t.Fatalf("item %d not stored verbatim", i)
		}
		for _, c := range e[p+4+n : p+4+(n+3)&^3] {
			if c != 0 {
				t.Fatalf("item %d: nonzero padding", i)
			}
		}
		p += 4 + (n+3)&^3
	}
	if p != len(e) {
		t.Fatalf("%d bytes after the 10 items", len(e)-p)
	}
	for _, it := range []int{ItemBody, ItemBodyStructure} {
		bp := &bsParser{b: m.Items[it]}
		if _, err := bp.part(); err != nil || bp.p != len(bp.b) {
			t.Fatalf("item %d does not read back (%v at %d): %q", it, err, bp.p, m.Items[it])
		}
	}
	tree, err := DecodeSectionMap(m.Items[ItemBodyStructure], m.Items[ItemSection], size)
	if err != nil {
		t.Fatalf("section map: %v", err)
	}
	for _, spec := range []string{"", "1", "1.MIME", "HEADER", "TEXT", "2.1", "1.1.HEADER"} {
		tree.Resolve(spec)
	}
	if m.Size != size || m.HeaderSize > size {
		t.Fatalf("size %d header_size %d for %d bytes", m.Size, m.HeaderSize, size)
	}
}
