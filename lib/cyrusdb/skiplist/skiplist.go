// Package skiplist reads Cyrus's older "skiplist" cyrusdb format (Cyrus
// lib/cyrusdb_skiplist.c), enough for cvt_cyrusdb and cyr_dbtool to
// convert or show an old database. It never writes: every write returns
// cyrusdb.ErrNotImplemented.
//
// The file is a 48-byte header (magic, version 1, minor, maxlevel,
// curlevel, listsize, logstart, last recovery; big-endian uint32s), a
// DUMMY record, the records written in order by the last checkpoint
// (INORDER), then a log of ADD and DELETE records closed by COMMIT
// records. Rather than trusting the skip pointers, the reader replays the
// file the way Cyrus's recovery does: checkpointed records, then every
// committed log transaction; a trailing uncommitted transaction is
// ignored.
//
// Locks: each transaction (read-only) holds a shared OFD lock on the file
// from Begin to its end, taken with an inode re-check.
package skiplist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/fileio"
	"gyrus/lib/lockfile"
)

func init() {
	cyrusdb.Register(cyrusdb.Backend{
		Name:     "skiplist",
		Open:     func(path string, o cyrusdb.Options) (cyrusdb.Engine, error) { return Open(path, o) },
		Magic:    cyrusdb.MagicSkiplist,
		ReadOnly: true,
	})
}

const (
	headerSize = 48
	tInorder   = 1
	tAdd       = 2
	tDelete    = 4
	tCommit    = 255
	tDummy     = 257
	maxLevel   = 20
)

var be = binary.BigEndian

// DB is an open skiplist file.
type DB struct {
	path string
	cmp  func(a, b []byte) int
	open bool
}

// Open checks that path is a skiplist file.
func Open(path string, o cyrusdb.Options) (*DB, error) {
	f, err := fileio.Open(path, os.O_RDONLY, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("skiplist: %w: %w", cyrusdb.ErrNotFound, err)
		}
		return nil, fmt.Errorf("skiplist: %w", err)
	}
	defer f.Close()
	var head [20]byte
	if _, err := io.ReadFull(f, head[:]); err != nil || !bytes.Equal(head[:], cyrusdb.MagicSkiplist) {
		return nil, fmt.Errorf("skiplist: %s: %w", path, cyrusdb.ErrFormat)
	}
	return &DB{path: path, cmp: cyrusdb.Comparator(o.Flags)}, nil
}

// Compare orders keys as the database does.
func (d *DB) Compare(a, b []byte) int { return d.cmp(a, b) }

// Close closes the database.
func (d *DB) Close() error { return nil }

type kv struct{ k, v []byte }

type txn struct {
	d    *DB
	f    *os.File
	recs []kv // sorted
}

// Begin takes the shared lock and reads the whole file.
func (d *DB) Begin(write bool) (cyrusdb.Txn, error) {
	f, err := lockfile.OpenLocked(d.path, os.O_RDONLY, 0, lockfile.Shared)
	if err != nil {
		return nil, fmt.Errorf("skiplist: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("skiplist: read %s: %w", d.path, err)
	}
	m, err := Parse(d.path, data)
	if err != nil {
		f.Close()
		return nil, err
	}
	t := &txn{d: d, f: f}
	for k, v := range m {
		t.recs = append(t.recs, kv{[]byte(k), v})
	}
	sort.Slice(t.recs, func(i, j int) bool { return d.cmp(t.recs[i].k, t.recs[j].k) < 0 })
	return t, nil
}

// Parse replays a skiplist file image into its key/value map.
func Parse(path string, b []byte) (map[string][]byte, error) {
	bad := func(off int, f string, a ...any) error { return cyrusdb.Corrupt(path, int64(off), f, a...) }
	if len(b) < headerSize || !bytes.Equal(b[:20], cyrusdb.MagicSkiplist) {
		return nil, fmt.Errorf("skiplist: %s: %w", path, cyrusdb.ErrFormat)
	}
	if v := be.Uint32(b[20:]); v != 1 {
		return nil, bad(20, "unsupported version %d", v)
	}
	maxlevel := be.Uint32(b[28:])
	if maxlevel > maxLevel {
		return nil, bad(28, "maxlevel %d beyond %d", maxlevel, maxLevel)
	}
	logstart := int(be.Uint32(b[40:]))
	u32 := func(off int) (uint32, bool) {
		if off < 0 || off+4 > len(b) {
			return 0, false
		}
		return be.Uint32(b[off:]), true
	}
	round4 := func(n int) int { return (n + 3) &^ 3 }
	// record parses a DUMMY/INORDER/ADD record: key, data, total size.
	record := func(off int) (k, v []byte, size int, err error) {
		kl, ok := u32(off + 4)
		if !ok || int(kl) > len(b) {
			return nil, nil, 0, bad(off, "truncated record")
		}
		p := off + 8
		if p+round4(int(kl)) > len(b) {
			return nil, nil, 0, bad(off, "key runs past end of file")
		}
		k = b[p : p+int(kl)]
		p += round4(int(kl))
		dl, ok := u32(p)
		if !ok || int(dl) > len(b) {
			return nil, nil, 0, bad(off, "truncated record")
		}
		p += 4
		if p+round4(int(dl)) > len(b) {
			return nil, nil, 0, bad(off, "data runs past end of file")
		}
		v = b[p : p+int(dl)]
		p += round4(int(dl))
		for lvl := 0; ; lvl++ {
			x, ok := u32(p)
			if !ok {
				return nil, nil, 0, bad(off, "pointers run past end of file")
			}
			p += 4
			if x == 0xFFFFFFFF {
				break
			}
			if lvl > maxLevel {
				return nil, nil, 0, bad(off, "record has too many levels")
			}
		}
		return k, v, p - off, nil
	}
	typ, ok := u32(headerSize)
	if !ok || typ != tDummy {
		return nil, bad(headerSize, "first record is not the DUMMY")
	}
	_, _, size, err := record(headerSize)
	if err != nil {
		return nil, err
	}
	m := map[string][]byte{}
	off := headerSize + size
	// Checkpointed records.
	for off < len(b) {
		typ, _ := u32(off)
		if typ != tInorder {
			break
		}
		k, v, size, err := record(off)
		if err != nil {
			return nil, err
		}
		m[string(k)] = v
		off += size
	}
	_ = logstart // the replay finds the log start itself, like recovery
	// The log: apply each transaction that reaches a COMMIT.
	type op struct {
		del  bool
		k, v []byte
	}
	var pending []op
	for off < len(b) {
		typ, ok := u32(off)
		if !ok {
			break // a partial word at the end: an unfinished write
		}
		switch typ {
		case 0:
			off += 4 // zeros left by old recovery truncations
		case tCommit:
			for _, o := range pending {
				if o.del {
					delete(m, string(o.k))
				} else {
					m[string(o.k)] = o.v
				}
			}
			pending = pending[:0]
			off += 4
		case tAdd, tInorder:
			k, v, size, err := record(off)
			if err != nil {
				return m, nil // torn tail: drop the uncommitted transaction
			}
			pending = append(pending, op{k: k, v: v})
			off += size
		case tDelete:
			target, ok := u32(off + 4)
			if !ok {
				return m, nil
			}
			tt, ok := u32(int(target))
			if !ok || (tt != tAdd && tt != tInorder) {
				return nil, bad(off, "DELETE names offset %d, not a record", target)
			}
			k, _, _, err := record(int(target))
			if err != nil {
				return nil, err
			}
			pending = append(pending, op{del: true, k: k})
			off += 8
		default:
			if len(pending) == 0 {
				return nil, bad(off, "unknown record type %d", typ)
			}
			return m, nil // garbage after an uncommitted start: drop it
		}
	}
	return m, nil
}

func (t *txn) find(key []byte) (int, bool) {
	i := sort.Search(len(t.recs), func(i int) bool { return t.d.cmp(t.recs[i].k, key) >= 0 })
	return i, i < len(t.recs) && t.d.cmp(t.recs[i].k, key) == 0
}

func (t *txn) Fetch(key []byte) ([]byte, error) {
	if i, ok := t.find(key); ok {
		return append([]byte{}, t.recs[i].v...), nil
	}
	return nil, cyrusdb.ErrNotFound
}

func (t *txn) Foreach(prefix []byte, fn func(k, v []byte) error) error {
	return t.ForeachFrom(prefix, nil, fn)
}

func (t *txn) ForeachFrom(prefix, after []byte, fn func(k, v []byte) error) error {
	i, _ := t.find(prefix)
	if after != nil {
		var ok bool
		if i, ok = t.find(after); ok {
			i++
		}
	}
	for ; i < len(t.recs); i++ {
		r := t.recs[i]
		if !bytes.HasPrefix(r.k, prefix) {
			break
		}
		if err := fn(r.k, r.v); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) FetchNext(key []byte) ([]byte, []byte, error) {
	i, ok := t.find(key)
	if ok {
		i++
	}
	if i >= len(t.recs) {
		return nil, nil, cyrusdb.ErrNotFound
	}
	return append([]byte{}, t.recs[i].k...), append([]byte{}, t.recs[i].v...), nil
}

func (t *txn) Store(key, val []byte) error  { return cyrusdb.ErrNotImplemented }
func (t *txn) Create(key, val []byte) error { return cyrusdb.ErrNotImplemented }
func (t *txn) Delete(key []byte) error      { return cyrusdb.ErrNotImplemented }
func (t *txn) Commit() error                { t.f.Close(); return nil }
func (t *txn) Abort() error                 { t.f.Close(); return nil }
