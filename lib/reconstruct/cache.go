package reconstruct

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"gyrus/lib/mailbox/index"
)

// cacheFile is cyrus.cache as the repair sees it: the old contents mapped
// read-only (entries are checked against their record's CRC before use),
// and the entries to add. When the old file is missing or belongs to
// another index generation, a new file replaces it (replace); otherwise
// new entries are appended to it, as Cyrus does.
type cacheFile struct {
	path    string
	data    []byte // mapping of the old file (nil if none)
	size    int64
	gen     uint32
	genOK   bool // the file has a generation number
	replace bool
	newGen  uint32
	pending [][]byte
	pendLen int64
	// optional: a replacement is written only if the file existed or
	// gets entries (the archive directory's cyrus.cache, which Cyrus
	// creates only when it archives)
	optional bool
	existed  bool
}

func (c *cacheFile) open(path string) error {
	c.path = path
	c.existed = false
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	c.existed = true
	c.size = st.Size()
	if c.size >= index.CacheFileHeaderSize {
		data, err := unix.Mmap(int(f.Fd()), 0, int(c.size), unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			return err
		}
		c.data = data
		c.gen, _ = index.CacheGeneration(data)
		c.genOK = true
	}
	return nil
}

func (c *cacheFile) close() {
	if c.data != nil {
		unix.Munmap(c.data)
		c.data = nil
	}
}

// usable decides, once the index generation is known, whether the old
// file can be appended to.
func (c *cacheFile) usable(gen uint32) bool { return c.genOK && c.gen == gen }

// entry returns the old entry at off if it is there and its CRC is crc.
func (c *cacheFile) entry(off uint64, crc uint32) (index.CacheEntry, bool) {
	if c.data == nil || off < index.CacheFileHeaderSize || off >= uint64(len(c.data)) {
		return index.CacheEntry{}, false
	}
	e, err := index.ParseCacheEntry(c.data[off:], int64(off), crc)
	if err != nil {
		return index.CacheEntry{}, false
	}
	return e, true
}

// add queues an entry and returns the offset it will have.
func (c *cacheFile) add(entry []byte) uint64 {
	base := c.size
	if c.replace {
		base = index.CacheFileHeaderSize
	}
	off := base + c.pendLen
	c.pending = append(c.pending, entry)
	c.pendLen += int64(len(entry))
	return uint64(off)
}

// willWrite reports whether write has something to put on disk.
func (c *cacheFile) willWrite() bool {
	return len(c.pending) > 0 || c.replace && (!c.optional || c.existed)
}

// write puts the queued entries on disk (fsynced). A replacement file is
// written as cyrus.cache.NEW and renamed into place; the caller fsyncs
// the directory.
func (c *cacheFile) write() error {
	if !c.willWrite() {
		return nil
	}
	if c.replace {
		buf := make([]byte, 0, index.CacheFileHeaderSize+c.pendLen)
		buf = append(buf, index.CacheFileHeader(c.newGen)...)
		for _, e := range c.pending {
			buf = append(buf, e...)
		}
		return writeFileSync(c.path, buf)
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	off := c.size
	for _, e := range c.pending {
		if _, err := f.WriteAt(e, off); err != nil {
			return err
		}
		off += int64(len(e))
	}
	return f.Sync()
}

// writeFileSync writes path.NEW, fsyncs it and renames it over path.
func writeFileSync(path string, data []byte) error {
	tmp := path + index.NewSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|unix.O_CLOEXEC, 0o666)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func fsyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
