package quotalegacy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/fileio"
	"gyrus/lib/lockfile"
)

func init() {
	cyrusdb.Register(cyrusdb.Backend{
		Name:  "quotalegacy",
		Open:  func(path string, o cyrusdb.Options) (cyrusdb.Engine, error) { return Open(path, o) },
		Files: func(string) ([]string, error) { return nil, nil },
	})
}

// DB is an open quotalegacy database.
type DB struct {
	base string // directory holding quota/ and domain/
	opts cyrusdb.Options
	cmp  func(a, b []byte) int
	txn  *txn
}

// Open opens the quota database whose configured path is path (only its
// directory is used).
func Open(path string, o cyrusdb.Options) (*DB, error) {
	base := filepath.Dir(path)
	if _, err := os.Stat(base); err != nil {
		if errors.Is(err, os.ErrNotExist) && o.Flags&cyrusdb.Create != 0 {
			err = os.MkdirAll(base, 0o755)
		}
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("quotalegacy: %w: %w", cyrusdb.ErrNotFound, err)
			}
			return nil, fmt.Errorf("quotalegacy: %w", err)
		}
	}
	return &DB{base: base, opts: o, cmp: cyrusdb.Comparator(o.Flags)}, nil
}

// Compare orders quota roots (raw, or mailbox order with MboxSort).
func (d *DB) Compare(a, b []byte) int { return d.cmp(a, b) }

// Close closes the database.
func (d *DB) Close() error {
	if d.txn != nil {
		d.txn.Abort()
	}
	return nil
}

// DirHash is Cyrus's dir_hash_c (formats.md §2.2).
func DirHash(name string, full bool) byte {
	if full {
		var n uint32
		for i := 0; i < len(name) && name[i] != '.'; i++ {
			n = ((n << 3) ^ (n >> 5)) ^ uint32(name[i])
		}
		return 'A' + byte(n%23)
	}
	if name == "" {
		return 'q'
	}
	c := name[0]
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	if c < 'a' || c > 'z' {
		return 'q'
	}
	return c
}

func hashChar(root string, full bool) byte {
	if i := strings.IndexByte(root, '.'); i >= 0 {
		root = root[i+1:]
	}
	return DirHash(root, full)
}

var errBadKey = errors.New("quotalegacy: invalid quota root name")

// Path is the file that holds quota root key.
func (d *DB) Path(key string) (string, error) {
	if key == "" || strings.ContainsAny(key, "/\x00") || key == "." || key == ".." {
		return "", fmt.Errorf("%w: %q", errBadKey, key)
	}
	base, root := d.base, key
	if d.opts.VirtDomains {
		if i := strings.IndexByte(key, '!'); i >= 0 {
			dom := key[:i]
			if dom == "" || dom == "." || dom == ".." {
				return "", fmt.Errorf("%w: %q", errBadKey, key)
			}
			base = filepath.Join(base, "domain", string(DirHash(dom, d.opts.FullDirHash)), dom)
			root = key[i+1:]
			if root == "" {
				return filepath.Join(base, "quota", "root"), nil
			}
			if root == "." || root == ".." {
				return "", fmt.Errorf("%w: %q", errBadKey, key)
			}
		}
	}
	return filepath.Join(base, "quota", string(hashChar(root, d.opts.FullDirHash)), root), nil
}

// sub is the state of one quota root file inside a transaction.
type sub struct {
	key     string
	f       *os.File // locked file, nil if absent
	created bool     // we created the (empty) file for a new root
	orig    []byte   // value at lock time (valid when f != nil)
	pending *[]byte  // value to commit
	deleted bool
}

type txn struct {
	d     *DB
	write bool
	subs  map[string]*sub // by path
}

// Begin starts a transaction; locks are taken per root as it goes.
func (d *DB) Begin(write bool) (cyrusdb.Txn, error) {
	t := &txn{d: d, write: write, subs: map[string]*sub{}}
	d.txn = t
	return t, nil
}

// decodeFile turns a file's bytes into the value.
func decodeFile(path string, b []byte) ([]byte, error) {
	if len(b) == 0 {
		return []byte{}, nil
	}
	if b[len(b)-1] != '\n' {
		return nil, cyrusdb.Corrupt(path, int64(len(b)-1), "quota file does not end in a newline")
	}
	v := append([]byte{}, b[:len(b)-1]...)
	if len(v) > 0 && v[0] != '%' {
		if i := bytes.IndexByte(v, '\n'); i >= 0 {
			v[i] = ' '
		}
	}
	return v, nil
}

func encodeFile(v []byte) []byte {
	b := append(append([]byte{}, v...), '\n')
	if len(v) > 0 && v[0] != '%' {
		if i := bytes.IndexByte(v, ' '); i >= 0 {
			b[i] = '\n'
		}
	}
	return b
}

// get returns the sub of key, locking and reading its file the first time.
// create makes the file when absent (for a store).
func (t *txn) get(key string, create bool) (*sub, string, error) {
	path, err := t.d.Path(key)
	if err != nil {
		return nil, "", err
	}
	if s, ok := t.subs[path]; ok {
		if create && s.f == nil {
			if err := t.createFile(s, path); err != nil {
				return nil, path, err
			}
		}
		return s, path, nil
	}
	s := &sub{key: key}
	mode, flag := lockfile.Shared, os.O_RDONLY
	if t.write {
		mode, flag = lockfile.Exclusive, os.O_RDWR
	}
	f, err := lockfile.OpenLocked(path, flag, 0, mode)
	switch {
	case err == nil:
		b, rerr := io.ReadAll(f)
		if rerr != nil {
			f.Close()
			return nil, path, fmt.Errorf("quotalegacy: read %s: %w", path, rerr)
		}
		if s.orig, err = decodeFile(path, b); err != nil {
			f.Close()
			return nil, path, err
		}
		s.f = f
	case errors.Is(err, os.ErrNotExist):
		if create {
			if err := t.createFile(s, path); err != nil {
				return nil, path, err
			}
		}
	default:
		return nil, path, fmt.Errorf("quotalegacy: %w", err)
	}
	if t.write || s.f != nil {
		t.subs[path] = s
	}
	return s, path, nil
}

func (t *txn) createFile(s *sub, path string) error {
	if err := cyrusdb.MkdirParents(path); err != nil {
		return fmt.Errorf("quotalegacy: %w", err)
	}
	f, err := lockfile.OpenLocked(path, os.O_RDWR|os.O_CREATE, 0o644, lockfile.Exclusive)
	if err != nil {
		return fmt.Errorf("quotalegacy: %w", err)
	}
	st, _ := f.Stat()
	if st != nil && st.Size() > 0 {
		// Someone committed it meanwhile: read it.
		b, _ := io.ReadAll(f)
		v, err := decodeFile(path, b)
		if err != nil {
			f.Close()
			return err
		}
		s.orig = v
	} else {
		s.created = true
		s.orig = []byte{}
	}
	s.f = f
	return nil
}

func (t *txn) Fetch(key []byte) ([]byte, error) {
	s, _, err := t.get(string(key), false)
	if err != nil {
		return nil, err
	}
	switch {
	case s.deleted:
		return nil, cyrusdb.ErrNotFound
	case s.pending != nil:
		return append([]byte{}, *s.pending...), nil
	case s.f == nil:
		return nil, cyrusdb.ErrNotFound
	}
	return append([]byte{}, s.orig...), nil
}

func (t *txn) Store(key, val []byte) error {
	if !t.write {
		return cyrusdb.ErrReadOnly
	}
	s, _, err := t.get(string(key), true)
	if err != nil {
		return err
	}
	v := append([]byte{}, val...)
	s.pending, s.deleted = &v, false
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
	s, _, err := t.get(string(key), false)
	if err != nil {
		return err
	}
	s.pending, s.deleted = nil, true
	return nil
}

func (t *txn) Foreach(prefix []byte, fn func(k, v []byte) error) error {
	return t.ForeachFrom(prefix, nil, fn)
}

// ForeachFrom scans the quota directories for roots starting with
// prefix (after `after`, if given), sorted, and reads each in the
// transaction.
func (t *txn) ForeachFrom(prefix, after []byte, fn func(k, v []byte) error) error {
	keys, err := t.d.scan(string(prefix))
	if err != nil {
		return err
	}
	// Roots created by this transaction exist on disk already; nothing
	// else to merge.
	sort.Slice(keys, func(i, j int) bool { return t.d.cmp([]byte(keys[i]), []byte(keys[j])) < 0 })
	for _, k := range keys {
		if after != nil && t.d.cmp([]byte(k), after) <= 0 {
			continue
		}
		v, err := t.Fetch([]byte(k))
		if errors.Is(err, cyrusdb.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := fn([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

func hashDirs(full bool) []byte {
	var cs []byte
	c := byte('a')
	if full {
		c = 'A'
	}
	for i := 0; i < 26; i++ {
		cs = append(cs, c+byte(i))
	}
	return cs
}

// scanQuotaDir lists the roots under qdir (a ".../quota" directory) whose
// name starts with prefix; domain is prepended as "domain!".
func (d *DB) scanQuotaDir(qdir, prefix, domain string, out *[]string) {
	dirs := hashDirs(d.opts.FullDirHash)
	// Without fulldirhash a prefix that reaches past its first '.' fixes
	// the hash directory.
	if !d.opts.FullDirHash {
		if i := strings.IndexByte(prefix, '.'); i >= 0 && i+1 < len(prefix) {
			dirs = []byte{hashChar(prefix, false)}
		}
	}
	for _, c := range dirs {
		ents, err := os.ReadDir(filepath.Join(qdir, string(c)))
		if err != nil {
			continue
		}
		names := map[string]bool{}
		for _, e := range ents {
			names[e.Name()] = true
		}
		for _, e := range ents {
			n := e.Name()
			if !strings.HasPrefix(n, prefix) || e.IsDir() {
				continue
			}
			// X.NEW next to X is a commit in progress (or left by a crash).
			if strings.HasSuffix(n, ".NEW") && names[strings.TrimSuffix(n, ".NEW")] {
				continue
			}
			if domain != "" {
				n = domain + "!" + n
			}
			*out = append(*out, n)
		}
	}
	if domain != "" && prefix == "" {
		if _, err := os.Stat(filepath.Join(qdir, "root")); err == nil {
			*out = append(*out, domain+"!")
		}
	}
}

func (d *DB) scan(prefix string) ([]string, error) {
	var out []string
	if d.opts.VirtDomains {
		if i := strings.IndexByte(prefix, '!'); i >= 0 {
			dom := prefix[:i]
			if dom == "" || strings.ContainsAny(dom, "/\x00") {
				return nil, nil
			}
			qdir := filepath.Join(d.base, "domain", string(DirHash(dom, d.opts.FullDirHash)), dom, "quota")
			d.scanQuotaDir(qdir, prefix[i+1:], dom, &out)
			return out, nil
		}
	}
	d.scanQuotaDir(filepath.Join(d.base, "quota"), prefix, "", &out)
	if d.opts.VirtDomains && prefix == "" {
		for _, c := range hashDirs(d.opts.FullDirHash) {
			ents, err := os.ReadDir(filepath.Join(d.base, "domain", string(c)))
			if err != nil {
				continue
			}
			for _, e := range ents {
				if e.IsDir() {
					d.scanQuotaDir(filepath.Join(d.base, "domain", string(c), e.Name(), "quota"), "", e.Name(), &out)
				}
			}
		}
	}
	return out, nil
}

func (t *txn) paths() []string {
	ps := make([]string, 0, len(t.subs))
	for p := range t.subs {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// Commit writes every changed root (<file>.NEW, fsync, rename) and
// unlinks deleted ones, then releases all locks.
func (t *txn) Commit() error {
	if t.d.txn != t {
		return cyrusdb.ErrTxDone
	}
	t.d.txn = nil
	var first error
	for _, p := range t.paths() {
		s := t.subs[p]
		var err error
		switch {
		case s.pending != nil:
			err = t.d.writeFile(p, *s.pending)
		case s.deleted && s.f != nil, s.created:
			if err = os.Remove(p); errors.Is(err, os.ErrNotExist) {
				err = nil
			}
		}
		if err != nil && first == nil {
			first = err
		}
		if s.f != nil {
			s.f.Close()
		}
	}
	return first
}

func (d *DB) writeFile(path string, v []byte) error {
	np := path + ".NEW"
	os.Remove(np)
	f, err := fileio.Open(np, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
	if errors.Is(err, os.ErrNotExist) {
		if err = cyrusdb.MkdirParents(np); err == nil {
			f, err = fileio.Open(np, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
		}
	}
	if err != nil {
		return fmt.Errorf("quotalegacy: %w", err)
	}
	defer f.Close()
	if err := lockfile.Lock(f, lockfile.Exclusive); err != nil {
		os.Remove(np)
		return err
	}
	if _, err := f.Write(encodeFile(v)); err != nil {
		os.Remove(np)
		return fmt.Errorf("quotalegacy: write %s: %w", np, err)
	}
	if d.opts.Flags&cyrusdb.NoSync == 0 {
		if err := f.Sync(); err != nil {
			os.Remove(np)
			return fmt.Errorf("quotalegacy: fsync %s: %w", np, err)
		}
	}
	if err := os.Rename(np, path); err != nil {
		os.Remove(np)
		return fmt.Errorf("quotalegacy: %w", err)
	}
	if d.opts.Flags&cyrusdb.NoSync == 0 {
		return cyrusdb.SyncDir(path)
	}
	return nil
}

// Abort drops the changes; files created for new roots are removed.
func (t *txn) Abort() error {
	if t.d.txn != t {
		return nil
	}
	t.d.txn = nil
	for _, p := range t.paths() {
		s := t.subs[p]
		if s.created {
			os.Remove(p)
		}
		if s.f != nil {
			s.f.Close()
		}
	}
	return nil
}
