package flat

import (
	"bytes"
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
		Name: "flat",
		Open: func(path string, o cyrusdb.Options) (cyrusdb.Engine, error) { return Open(path, o) },
	})
}

// DB is an open flat file.
type DB struct {
	path string
	opts cyrusdb.Options
	txn  *txn
}

// Open opens the flat file at path, creating an empty one (and its
// directories) with cyrusdb.Create. A file that carries the magic of
// another backend is refused with cyrusdb.ErrFormat.
func Open(path string, o cyrusdb.Options) (*DB, error) {
	f, err := fileio.Open(path, os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) && o.Flags&cyrusdb.Create != 0 {
		if err = cyrusdb.MkdirParents(path); err == nil {
			var nf *os.File
			nf, err = fileio.Open(path, os.O_RDWR|os.O_CREATE, 0o644)
			if err == nil {
				nf.Close()
				f, err = fileio.Open(path, os.O_RDONLY, 0)
			}
		}
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("flat: %w: %w", cyrusdb.ErrNotFound, err)
		}
		return nil, fmt.Errorf("flat: %w", err)
	}
	defer f.Close()
	var head [32]byte
	n, _ := io.ReadFull(f, head[:])
	if cyrusdb.DetectBytes(head[:n]) != "" {
		return nil, fmt.Errorf("flat: %s: %w", path, cyrusdb.ErrFormat)
	}
	return &DB{path: path, opts: o}, nil
}

// Compare orders keys as the file does: mailbox order of escaped keys.
func (d *DB) Compare(a, b []byte) int {
	return cyrusdb.CompareMbox(encode(nil, a), encode(nil, b))
}

// Close closes the database.
func (d *DB) Close() error {
	if d.txn != nil {
		d.txn.Abort()
	}
	return nil
}

type txn struct {
	d     *DB
	write bool
	f     *os.File // locked
	data  []byte   // file image at Begin
	// overlay holds this transaction's writes by escaped key; a nil
	// value pointer is a delete.
	overlay map[string]*[]byte
}

// Begin locks the file and reads it.
func (d *DB) Begin(write bool) (cyrusdb.Txn, error) {
	mode, flag := lockfile.Shared, os.O_RDONLY
	if write {
		mode, flag = lockfile.Exclusive, os.O_RDWR
	}
	f, err := lockfile.OpenLocked(d.path, flag, 0, mode)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("flat: %w: %w", cyrusdb.ErrNotFound, err)
		}
		return nil, fmt.Errorf("flat: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("flat: read %s: %w", d.path, err)
	}
	t := &txn{d: d, write: write, f: f, data: data}
	d.txn = t
	return t, nil
}

func (t *txn) corrupt(off int, what string) error {
	return cyrusdb.Corrupt(t.d.path, int64(off), "%s", what)
}

// line returns the line starting at off: its escaped key, escaped value
// and the offset of the next line.
func (t *txn) line(off int) (k, v []byte, next int, err error) {
	rest := t.data[off:]
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 {
		return nil, nil, 0, t.corrupt(off, "last line has no newline")
	}
	ln := rest[:nl]
	tab := bytes.IndexByte(ln, '\t')
	if tab < 0 {
		return nil, nil, 0, t.corrupt(off, "line has no TAB")
	}
	return ln[:tab], ln[tab+1:], off + nl + 1, nil
}

// search finds the escaped key ek in the file image: the offset of its
// line and true, or the offset where it would be inserted and false.
func (t *txn) search(ek []byte) (int, bool, error) {
	lo, hi := 0, len(t.data) // lo is always a line start
	for lo < hi {
		mid := lo + (hi-lo)/2
		ls := bytes.LastIndexByte(t.data[lo:mid], '\n')
		if ls < 0 {
			ls = lo
		} else {
			ls += lo + 1
		}
		k, _, next, err := t.line(ls)
		if err != nil {
			return 0, false, err
		}
		switch c := cyrusdb.CompareMbox(k, ek); {
		case c == 0:
			return ls, true, nil
		case c < 0:
			lo = next
		default:
			hi = ls
		}
	}
	return lo, false, nil
}

func (t *txn) Fetch(key []byte) ([]byte, error) {
	ek := encode(nil, key)
	if t.overlay != nil {
		if v, ok := t.overlay[string(ek)]; ok {
			if v == nil {
				return nil, cyrusdb.ErrNotFound
			}
			return decode([]byte{}, *v), nil
		}
	}
	off, found, err := t.search(ek)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, cyrusdb.ErrNotFound
	}
	_, v, _, err := t.line(off)
	if err != nil {
		return nil, err
	}
	return decode([]byte{}, v), nil
}

func (t *txn) Foreach(prefix []byte, fn func(k, v []byte) error) error {
	return t.ForeachFrom(prefix, nil, fn)
}

type entry struct{ ek, ev []byte }

// ForeachFrom visits keys with prefix that sort after `after` (all when
// after is nil).
func (t *txn) ForeachFrom(prefix, after []byte, fn func(k, v []byte) error) error {
	ep := encode(nil, prefix)
	start := ep
	if after != nil {
		start = encode(nil, after)
	}
	off, found, err := t.search(start)
	if err != nil {
		return err
	}
	if found && after != nil {
		if _, _, off, err = t.line(off); err != nil {
			return err
		}
	}
	// Overlay entries in range, sorted.
	var ov []entry
	for k, v := range t.overlay {
		ek := []byte(k)
		if !bytes.HasPrefix(ek, ep) {
			continue
		}
		if c := cyrusdb.CompareMbox(ek, start); c < 0 || (c == 0 && after != nil) {
			continue
		}
		var ev []byte
		if v != nil {
			ev = *v
		}
		ov = append(ov, entry{ek, ev})
	}
	sort.Slice(ov, func(i, j int) bool { return cyrusdb.CompareMbox(ov[i].ek, ov[j].ek) < 0 })
	var kb, vb []byte
	emit := func(ek, ev []byte) error {
		if t.overlay != nil {
			if v, ok := t.overlay[string(ek)]; ok {
				if v == nil {
					return nil // deleted (maybe by the callback)
				}
				ev = *v
			}
		}
		kb = decode(kb[:0], ek)
		vb = decode(vb[:0], ev)
		return fn(kb, vb)
	}
	for {
		var fk, fv []byte
		fileOK := off < len(t.data)
		var next int
		if fileOK {
			if fk, fv, next, err = t.line(off); err != nil {
				return err
			}
			if !bytes.HasPrefix(fk, ep) {
				fileOK = false
			}
		}
		switch {
		case !fileOK && len(ov) == 0:
			return nil
		case !fileOK || (len(ov) > 0 && cyrusdb.CompareMbox(ov[0].ek, fk) <= 0):
			e := ov[0]
			ov = ov[1:]
			if fileOK && cyrusdb.CompareMbox(e.ek, fk) == 0 {
				off = next // the overlay replaces the file's line
			}
			if err := emit(e.ek, e.ev); err != nil {
				return err
			}
		default:
			off = next
			if err := emit(fk, fv); err != nil {
				return err
			}
		}
	}
}

func (t *txn) FetchNext(key []byte) ([]byte, []byte, error) {
	var rk, rv []byte
	stop := errors.New("stop")
	var after []byte
	if len(key) > 0 {
		after = key
	}
	err := t.ForeachFrom(nil, after, func(k, v []byte) error {
		rk, rv = append([]byte{}, k...), append([]byte{}, v...)
		return stop
	})
	if err != nil && err != stop {
		return nil, nil, err
	}
	if rk == nil {
		return nil, nil, cyrusdb.ErrNotFound
	}
	return rk, rv, nil
}

func (t *txn) set(key []byte, val *[]byte) {
	if t.overlay == nil {
		t.overlay = map[string]*[]byte{}
	}
	t.overlay[string(encode(nil, key))] = val
}

func (t *txn) Store(key, val []byte) error {
	if !t.write {
		return cyrusdb.ErrReadOnly
	}
	ev := encode([]byte{}, val)
	t.set(key, &ev)
	return nil
}

func (t *txn) Create(key, val []byte) error {
	if _, err := t.Fetch(key); err == nil {
		return cyrusdb.ErrExists
	} else if !errors.Is(err, cyrusdb.ErrNotFound) {
		return err
	}
	return t.Store(key, val)
}

func (t *txn) Delete(key []byte) error {
	if !t.write {
		return cyrusdb.ErrReadOnly
	}
	t.set(key, nil)
	return nil
}

func (t *txn) end() {
	t.f.Close() // releases the lock
	t.d.txn = nil
}

func (t *txn) Abort() error {
	if t.d.txn == t {
		t.end()
	}
	return nil
}

// Commit writes <file>.NEW with the merged contents and renames it over
// the file, if anything was written.
func (t *txn) Commit() error {
	if t.d.txn != t {
		return cyrusdb.ErrTxDone
	}
	defer t.end()
	if len(t.overlay) == 0 {
		return nil
	}
	var out bytes.Buffer
	out.Grow(len(t.data) + 64*len(t.overlay))
	err := t.ForeachFrom(nil, nil, func(k, v []byte) error {
		out.Write(encode(nil, k))
		out.WriteByte('\t')
		out.Write(encode(nil, v))
		out.WriteByte('\n')
		return nil
	})
	if err != nil {
		return err
	}
	newPath := t.d.path + ".NEW"
	nf, err := fileio.Open(newPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return fmt.Errorf("flat: %w", err)
	}
	if _, err := nf.Write(out.Bytes()); err != nil {
		nf.Close()
		os.Remove(newPath)
		return fmt.Errorf("flat: write %s: %w", newPath, err)
	}
	if t.d.opts.Flags&cyrusdb.NoSync == 0 {
		if err := nf.Sync(); err != nil {
			nf.Close()
			os.Remove(newPath)
			return fmt.Errorf("flat: fsync %s: %w", newPath, err)
		}
	}
	nf.Close()
	if err := os.Rename(newPath, t.d.path); err != nil {
		os.Remove(newPath)
		return fmt.Errorf("flat: %w", err)
	}
	if t.d.opts.Flags&cyrusdb.NoSync == 0 {
		return cyrusdb.SyncDir(t.d.path)
	}
	return nil
}
