package search

// Reading the cache entries and message files of many messages in a row
// with as few system calls and copies as possible. A *mailbox.View
// offers ReadCacheAt and MessagePath (optional interfaces below); any
// other Source is read through Cache and OpenMessage as before.

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"gyrus/lib/mailbox/index"
)

// cacheWindowSize is how much of cyrus.cache one read brings in: the
// entries of consecutive messages follow each other in the file, so one
// read serves ~100 messages.
const cacheWindowSize = 128 << 10

// wholeFileMax: message files up to this size are read whole in one
// system call into a buffer reused for the next message; larger ones are
// read part by part.
const wholeFileMax = 128 << 10

// cacheReaderAt is what *mailbox.View offers for reading many cache
// entries from one read.
type cacheReaderAt interface {
	CacheOf(r *index.Record) (index.CacheEntry, error)
	ReadCacheAt(p []byte, off int64) (int, error)
}

// messagePather is what *mailbox.View offers for opening message files
// without os.Open's extra system calls.
type messagePather interface {
	MessagePath(seq uint32) string
}

// reader holds the buffers of one Search, Sort or Threads call. The
// slices it returns are valid until its next call of the same method.
type reader struct {
	src    Source
	ca     cacheReaderAt
	mp     messagePather
	opened bool // ca has read (and so opened) the cache file once
	win    []byte
	winOff int64
	buf    []byte
}

func newReader(src Source) *reader {
	rd := &reader{src: src}
	rd.ca, _ = src.(cacheReaderAt)
	rd.mp, _ = src.(messagePather)
	return rd
}

// cache returns the cache entry of message seq, whose record is r. The
// items may point into the window: they are valid until the next call.
func (rd *reader) cache(seq uint32, r *index.Record) (index.CacheEntry, error) {
	if rd.ca == nil {
		return rd.src.Cache(seq)
	}
	if !rd.opened {
		rd.opened = true
		return rd.ca.CacheOf(r)
	}
	off := int64(r.CacheOffset)
	if off < index.CacheFileHeaderSize {
		return rd.ca.CacheOf(r) // its error
	}
	if off >= rd.winOff && off < rd.winOff+int64(len(rd.win)) {
		if e, err := index.ParseCacheEntry(rd.win[off-rd.winOff:], off, r.CacheCRC); err == nil {
			return e, nil
		}
	}
	if rd.win == nil {
		rd.win = make([]byte, cacheWindowSize)
	}
	n, err := rd.ca.ReadCacheAt(rd.win[:cacheWindowSize], off)
	if err != nil && !errors.Is(err, io.EOF) {
		n = 0
	}
	rd.win, rd.winOff = rd.win[:n], off
	if e, err := index.ParseCacheEntry(rd.win, off, r.CacheCRC); err == nil {
		return e, nil
	}
	// larger than the window, damaged, or not readable this way: the
	// view's own reader decides (and gives its error)
	return rd.ca.CacheOf(r)
}

// msgFile is an open message: its bytes when read whole, else a
// ReaderAt on the file.
type msgFile struct {
	data []byte
	ra   io.ReaderAt
	fd   int // open descriptor to close, or -1
	f    *os.File
}

func (f *msgFile) close() {
	if f.fd >= 0 {
		unix.Close(f.fd)
		f.fd = -1
	}
	if f.f != nil {
		f.f.Close()
		f.f = nil
	}
}

// readAt returns n bytes at off (fewer at the end of the file, nil on
// an error), as a slice of the whole-file buffer or a new one.
func (f *msgFile) readAt(off, n uint32) []byte {
	if f.ra == nil {
		if int64(off) >= int64(len(f.data)) {
			return f.data[len(f.data):]
		}
		return f.data[off:min(int64(off)+int64(n), int64(len(f.data)))]
	}
	b := make([]byte, n)
	k, err := f.ra.ReadAt(b, int64(off))
	if err != nil && err != io.EOF {
		return nil
	}
	return b[:k]
}

// section is a reader of n bytes at off.
func (f *msgFile) section(off, n uint32) io.Reader {
	if f.ra == nil {
		return &byteSection{b: f.readAt(off, n)}
	}
	return io.NewSectionReader(f.ra, int64(off), int64(n))
}

// byteSection is an io.Reader over a slice whose Bytes charset can take
// whole.
type byteSection struct{ b []byte }

func (s *byteSection) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

// Bytes returns what is left to read (charset.SearchBody reads it in
// one go).
func (s *byteSection) Bytes() []byte { return s.b }

// fdFile is a file descriptor read with pread, as os.File.ReadAt reads.
type fdFile int

func (f fdFile) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		k, err := unix.Pread(int(f), p[n:], off+int64(n))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if k == 0 {
			return n, io.EOF
		}
		n += k
	}
	return n, nil
}

// open opens the file of message seq, whose record says size bytes. A
// file up to wholeFileMax is read whole (one open, one read, one close)
// into the reader's buffer, valid until the next open.
func (rd *reader) open(seq, size uint32) (msgFile, error) {
	mf := msgFile{fd: -1}
	if rd.mp != nil {
		p := rd.mp.MessagePath(seq)
		if p == "" {
			return msgFile{fd: -1}, errors.New("search: no such message")
		}
		var fd int
		var err error
		for {
			fd, err = unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != unix.EINTR {
				break
			}
		}
		if err != nil {
			return msgFile{fd: -1}, &os.PathError{Op: "open", Path: p, Err: err}
		}
		mf.ra, mf.fd = fdFile(fd), fd
	} else {
		f, err := rd.src.OpenMessage(seq)
		if err != nil {
			return msgFile{fd: -1}, err
		}
		mf.ra, mf.f = f, f
	}
	if size >= wholeFileMax {
		return mf, nil
	}
	// one byte more than the record says tells a longer file, which is
	// then read part by part like a large one
	var data []byte
	var longer bool
	var err error
	if mf.fd >= 0 {
		data, longer, err = readWhole(mf.fd, rd.buf, size)
	} else {
		want := int(size) + 1
		if cap(rd.buf) < want {
			rd.buf = make([]byte, max(want, 8<<10))
		}
		var n int
		n, err = mf.ra.ReadAt(rd.buf[:want], 0)
		if err == io.EOF {
			err = nil
		}
		data, longer = rd.buf[:n], n == want
	}
	if err != nil {
		mf.close()
		return msgFile{fd: -1}, err
	}
	if longer {
		return mf, nil
	}
	mf.close()
	if cap(data) > cap(rd.buf) {
		rd.buf = data[:0]
	}
	return msgFile{data: data, fd: -1}, nil
}
