package mailbox

import (
	"fmt"
	"os"
	"runtime/debug"

	"golang.org/x/sys/unix"

	"gyrus/lib/fileio"
	"gyrus/lib/mailbox/index"
)

// indexMap is a read-only shared mapping of one cyrus.index inode. It is
// made larger than the file (address space only) so that appends by any
// process become visible without remapping; only bytes below the size
// checked under the index lock are ever read, and Cyrus and Gyrus never
// truncate an index (a repack writes a new file and renames it), so no
// access falls beyond the end of the file. Reads still run with
// SetPanicOnFault so that a file truncated by some foreign tool gives an
// error instead of killing the process.
//
// An old inode replaced by a repack is never written again, so a view
// keeps reading consistent records from its map until it refreshes.
type indexMap struct {
	data []byte
	dev  uint64
	ino  uint64
	path string
	refs int
	// cache is the cyrus.cache of this index generation, opened lazily.
	cache *cacheReader
	// acache is the archive partition's cyrus.cache (archive.go).
	acache *cacheReader
}

const mapSlack = 1 << 20

func newIndexMap(f *os.File, st *unix.Stat_t) (*indexMap, error) {
	// Map through a descriptor of our own: a mapping keeps its open file
	// description alive, and with it any OFD lock taken through it, so
	// mapping the locked descriptor would leave the lock held after
	// Close. Open the path again and check it is the same inode (it is:
	// the caller holds the index lock, and repacks take it).
	mf, err := fileio.Open(f.Name(), os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer mf.Close()
	var mst unix.Stat_t
	if err := unix.Fstat(int(mf.Fd()), &mst); err != nil {
		return nil, &os.PathError{Op: "fstat", Path: mf.Name(), Err: err}
	}
	if mst.Dev != st.Dev || mst.Ino != st.Ino {
		return nil, fmt.Errorf("%s: replaced while locked", f.Name())
	}
	size := st.Size
	capacity := size*2 + mapSlack
	pg := int64(os.Getpagesize())
	capacity = (capacity + pg - 1) / pg * pg
	data, err := unix.Mmap(int(mf.Fd()), 0, int(capacity), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, &os.PathError{Op: "mmap", Path: f.Name(), Err: err}
	}
	return &indexMap{data: data, dev: uint64(st.Dev), ino: st.Ino, path: f.Name(), refs: 1}, nil
}

func (m *indexMap) same(st *unix.Stat_t) bool { return m.dev == uint64(st.Dev) && m.ino == st.Ino }

func (m *indexMap) fits(size int64) bool { return size <= int64(len(m.data)) }

func (m *indexMap) ref() *indexMap { m.refs++; return m }

func (m *indexMap) release() {
	m.refs--
	if m.refs == 0 {
		unix.Munmap(m.data)
		m.data = nil
		if m.cache != nil {
			m.cache.close()
			m.cache = nil
		}
		if m.acache != nil {
			m.acache.close()
			m.acache = nil
		}
	}
}

// guard turns a memory fault while reading the map into an error.
func (m *indexMap) guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: mapped index unreadable (file truncated?): %v", m.path, r)
	}
}

// header parses the index header from the map.
func (m *indexMap) header(size int64) (h index.Header, err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer m.guard(&err)
	n := int64(index.HeaderSize)
	if size < n {
		n = size
	}
	h, err = index.ParseHeader(m.data[:n])
	return h, inFile(m.path, err)
}

// record parses record recno (which the caller knows is in the file).
func (m *indexMap) record(h *index.Header, recno uint32) (r index.Record, err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer m.guard(&err)
	off := h.RecordOffset(recno)
	if recno == 0 || off+index.RecordSize > int64(len(m.data)) {
		return r, fmt.Errorf("%s: record %d out of range", m.path, recno)
	}
	r, err = index.ParseRecord(m.data[off:off+index.RecordSize], recno, off)
	return r, inFile(m.path, err)
}

// raw returns the bytes of record recno without checks (scanners).
func (m *indexMap) raw(h *index.Header, recno uint32) []byte {
	off := h.RecordOffset(recno)
	return m.data[off : off+index.RecordSize]
}
