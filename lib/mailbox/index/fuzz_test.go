package index

import (
	"bytes"
	"errors"
	"testing"
)

// The fuzz targets feed arbitrary bytes to every reader of this package:
// they must return a value or an error matching ErrCorrupt (or ErrVersion
// for headers), never panic; whatever parses must marshal back to bytes
// that parse to the same value.

func FuzzParseHeader(f *testing.F) {
	f.Add(unxxd(f, "testdata/cyrus.index.xxd")[:160])
	f.Add(make([]byte, 160))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not match ErrCorrupt: %v", err)
			}
			return
		}
		h2, err := ParseHeader(h.Bytes())
		h.Options &= OptionsValid | OptGyrusCommitting // what Marshal keeps
		if err != nil || h2 != h {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, h, h2)
		}
	})
}

func FuzzParseRecord(f *testing.F) {
	f.Add(unxxd(f, "testdata/cyrus.index.xxd")[160:])
	f.Add(make([]byte, 112))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRecord(b, 3, 384)
		if err != nil {
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Record != 3 || ce.Offset != 384 {
				t.Fatalf("error does not name record and offset: %v", err)
			}
			return
		}
		r2, err := ParseRecord(r.Bytes(), 1, 0)
		if err != nil || r2 != r {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzParseCacheEntry(f *testing.F) {
	file := unxxd(f, "testdata/cyrus.cache.xxd")
	f.Add(file[4:], uint32(0x375468aa))
	f.Add([]byte{0, 0, 0, 1}, uint32(0))
	f.Add(bytes.Repeat([]byte{0xff}, 44), uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, crc uint32) {
		e, err := ParseCacheEntry(b, 4, crc)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not match ErrCorrupt: %v", err)
			}
			return
		}
		if e.Len > len(b) {
			t.Fatalf("entry length %d beyond %d bytes", e.Len, len(b))
		}
		if enc := EncodeCacheEntry(e.Items); !bytes.Equal(enc, b[:e.Len]) {
			// padding bytes need not be zero on disk; the items must survive
			e2, err := ParseCacheEntry(enc, 0, CacheCRC(enc))
			if err != nil || e2.Len != e.Len {
				t.Fatalf("re-encode: %v", err)
			}
		}
	})
}

func FuzzParseMailboxHeader(f *testing.F) {
	f.Add(unxxd(f, "testdata/cyrus.header.xxd"))
	f.Add([]byte(HeaderMagic + "%(T e N x I y U (a NIL b) Q r)\n"))
	f.Add([]byte(HeaderMagic + "root\tid\nf1 f2\nbob\tlrs\t\n"))
	f.Add([]byte(HeaderMagic + "%(A {3}\r\nabc)\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseMailboxHeader(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not match ErrCorrupt: %v", err)
			}
			return
		}
		if _, err := ParseMailboxHeader(h.Marshal()); err != nil {
			t.Fatalf("marshalled header does not parse: %v\n%q", err, h.Marshal())
		}
	})
}

func FuzzParseAnnotation(f *testing.F) {
	f.Add(AnnotationKey(1, "/comment", ""), EncodeAnnotationValue([]byte("v"), 3, 0))
	f.Add([]byte("x"), []byte{0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		if _, _, _, err := ParseAnnotationKey(k); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatal(err)
		}
		if _, err := ParseAnnotationValue(v); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatal(err)
		}
	})
}

func FuzzParseSection(f *testing.F) {
	file := unxxd(f, "testdata/cyrus.cache.xxd")
	e, _ := ParseCacheEntry(file[4:], 4, 0x375468aa)
	f.Add(e.Items[CacheSection])
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseSection(b); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatal(err)
		}
	})
}
