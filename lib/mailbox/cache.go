package mailbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"gyrus/lib/fileio"
	"gyrus/lib/mailbox/index"
)

// maxCacheEntry bounds one cache entry; a length word that asks for more
// is damage, not a reason to allocate.
const maxCacheEntry = 256 << 20

type cacheReader struct {
	f    *os.File
	gen  uint32
	path string
	buf  []byte
}

func (c *cacheReader) close() {
	if c.f != nil {
		c.f.Close()
		c.f = nil
	}
}

// readGeneration reads the 4-byte generation of an open cache file.
func readGeneration(f *os.File) (uint32, error) {
	var b [4]byte
	if _, err := f.ReadAt(b[:], 0); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, corruptf(f.Name(), 0, "cache file shorter than its 4-byte generation")
		}
		return 0, err
	}
	return binary.BigEndian.Uint32(b[:]), nil
}

// openCacheGen opens cyrus.cache and checks that its generation is gen.
// When it is not, and rollForward is set (the caller holds an index lock
// on the current index, whose generation is gen), a cyrus.cache.NEW of
// generation gen left by a repack that crashed between its two renames
// is renamed into place (Cyrus renames the index first, then the cache).
func openCacheGen(path string, gen uint32, flag int, rollForward bool) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		f, err := fileio.Open(path, flag, 0o666)
		if err != nil {
			return nil, err
		}
		got, err := readGeneration(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		if got == gen {
			return f, nil
		}
		f.Close()
		if rollForward && attempt == 0 {
			nf, err := fileio.Open(path+index.NewSuffix, os.O_RDONLY, 0)
			if err == nil {
				ng, gerr := readGeneration(nf)
				nf.Close()
				if gerr == nil && ng == gen {
					if err := os.Rename(path+index.NewSuffix, path); err != nil {
						return nil, err
					}
					continue
				}
			}
		}
		return nil, corruptf(path, 0, "cache generation %d does not match index generation %d (needs reconstruct)", got, gen)
	}
}

// entry reads and checks the cache entry at off.
func (c *cacheReader) entry(off uint64, crc uint32) (index.CacheEntry, error) {
	if off < index.CacheFileHeaderSize {
		return index.CacheEntry{}, corruptf(c.path, int64(off), "cache offset %d inside the file header", off)
	}
	have := 0
	ensure := func(n int) error {
		if n <= have {
			return nil
		}
		if n > maxCacheEntry {
			return corruptf(c.path, int64(off), "cache entry claims %d bytes", n)
		}
		want := n
		if want < 1024 { // most entries fit: one read
			want = 1024
		}
		if cap(c.buf) < want {
			nb := make([]byte, want)
			copy(nb, c.buf[:have])
			c.buf = nb
		}
		c.buf = c.buf[:want]
		got, err := c.f.ReadAt(c.buf[have:want], int64(off)+int64(have))
		have += got
		c.buf = c.buf[:have]
		if have < n {
			if err == nil || errors.Is(err, io.EOF) {
				return corruptf(c.path, int64(off)+int64(have), "cache entry runs past the end of the file")
			}
			return fmt.Errorf("read %s: %w", c.path, err)
		}
		return nil
	}
	o := 0
	for i := 0; i < index.NumCacheItems; i++ {
		if err := ensure(o + 4); err != nil {
			return index.CacheEntry{}, err
		}
		l := int(binary.BigEndian.Uint32(c.buf[o:]))
		if l > maxCacheEntry {
			return index.CacheEntry{}, corruptf(c.path, int64(off)+int64(o), "cache item %s claims %d bytes", index.CacheItemNames[i], l)
		}
		o += 4 + (l+3)&^3
	}
	if err := ensure(o); err != nil {
		return index.CacheEntry{}, err
	}
	// copy out: c.buf is reused by the next read
	cp := make([]byte, o)
	copy(cp, c.buf[:o])
	e, err := index.ParseCacheEntry(cp, int64(off), crc)
	return e, inFile(c.path, err)
}
