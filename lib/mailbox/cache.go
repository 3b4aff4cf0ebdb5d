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
	// The read-ahead window: bytes [winOff, winOff+len(buf)) of the file
	// as last read. Entries are appended in UID order, so a FETCH or
	// SEARCH over many messages finds the next entries already read:
	// one pread per cacheWindow bytes instead of one per message.
	winOff int64
}

// cacheWindow is how much is read at once. A cache entry is about 1-3 KB.
const cacheWindow = 64 << 10

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

// entry reads and checks the cache entry at off. An entry served from
// the read-ahead window that fails its checks is read again from the
// file: the window may hold bytes past the last commit that an aborted
// transaction wrote and a later one overwrote.
func (c *cacheReader) entry(off uint64, crc uint32) (index.CacheEntry, error) {
	return c.entryOf(off, crc, true)
}

// entryOf is entry, or without copyOut an entry whose bytes are the
// window's, valid until the next read through c.
func (c *cacheReader) entryOf(off uint64, crc uint32, copyOut bool) (index.CacheEntry, error) {
	if off < index.CacheFileHeaderSize {
		return index.CacheEntry{}, corruptf(c.path, int64(off), "cache offset %d inside the file header", off)
	}
	e, err := c.readEntry(int64(off), crc, copyOut)
	if err != nil && len(c.buf) > 0 {
		c.buf = c.buf[:0]
		e, err = c.readEntry(int64(off), crc, copyOut)
	}
	return e, err
}

// readEntry reads the entry at off through the window.
func (c *cacheReader) readEntry(off int64, crc uint32, copyOut bool) (index.CacheEntry, error) {
	// ensure makes bytes [off, off+n) available in the window and
	// returns them.
	ensure := func(n int) ([]byte, error) {
		if n > maxCacheEntry {
			return nil, corruptf(c.path, off, "cache entry claims %d bytes", n)
		}
		if off >= c.winOff && off+int64(n) <= c.winOff+int64(len(c.buf)) {
			start := off - c.winOff
			return c.buf[start : start+int64(n)], nil
		}
		want := max(n, cacheWindow)
		if cap(c.buf) < want {
			c.buf = make([]byte, want)
		}
		c.buf = c.buf[:want]
		got, err := c.f.ReadAt(c.buf, off)
		c.buf, c.winOff = c.buf[:got], off
		if got < n {
			if err == nil || errors.Is(err, io.EOF) {
				return nil, corruptf(c.path, off+int64(got), "cache entry runs past the end of the file")
			}
			return nil, fmt.Errorf("read %s: %w", c.path, err)
		}
		return c.buf[:n], nil
	}
	o := 0
	for i := 0; i < index.NumCacheItems; i++ {
		b, err := ensure(o + 4)
		if err != nil {
			return index.CacheEntry{}, err
		}
		l := int(binary.BigEndian.Uint32(b[o:]))
		if l > maxCacheEntry {
			return index.CacheEntry{}, corruptf(c.path, off+int64(o), "cache item %s claims %d bytes", index.CacheItemNames[i], l)
		}
		o += 4 + (l+3)&^3
	}
	b, err := ensure(o)
	if err != nil {
		return index.CacheEntry{}, err
	}
	if copyOut {
		// the window is reused by the next read
		b = append([]byte(nil), b...)
	}
	e, err := index.ParseCacheEntry(b, off, crc)
	return e, inFile(c.path, err)
}
