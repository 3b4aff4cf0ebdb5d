package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"

	"gyrus/lib/fileio"
	"gyrus/lib/lockfile"
)

// Suffix is appended to sasl_sasldb_path to name the store.
const Suffix = ".gyrus"

// PathFor names the store that lives beside a sasldb2 file.
func PathFor(sasldbPath string) string { return sasldbPath + Suffix }

// Store is one secrets file. It is safe for concurrent use.
type Store struct {
	path       string
	iterations int

	mu     sync.Mutex
	recs   map[string]Record
	stamp  fileio.Sig
	loaded bool
}

// Open returns the store at path; the file need not exist yet (it is
// created by the first write). iterations <= 0 selects DefaultIterations;
// smaller than MinIterations is raised to it.
func Open(path string, iterations int) *Store {
	if iterations <= 0 {
		iterations = DefaultIterations
	}
	if iterations < MinIterations {
		iterations = MinIterations
	}
	return &Store{path: path, iterations: iterations}
}

// Path is the file the store reads and writes.
func (s *Store) Path() string { return s.path }

// current returns the parsed file, re-reading it if it changed on disk.
func (s *Store) current() (map[string]Record, error) {
	fi, err := os.Stat(s.path)
	if errors.Is(err, os.ErrNotExist) {
		s.mu.Lock()
		s.recs, s.loaded, s.stamp = map[string]Record{}, true, fileio.Sig{}
		s.mu.Unlock()
		return map[string]Record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sasl store: %w", err)
	}
	stamp := fileio.SigOf(fi)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded && s.stamp == stamp {
		return s.recs, nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("sasl store: %w", err)
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return nil, fmt.Errorf("sasl store: %w", err)
	}
	recs, err := readRecords(f, s.path)
	if err != nil {
		return nil, err
	}
	s.recs, s.stamp, s.loaded = recs, fileio.SigOf(fi), true
	return recs, nil
}

// maxFile bounds the file read into memory (a million users is ~300 MB).
const maxFile = 1 << 30

func readRecords(f *os.File, path string) (map[string]Record, error) {
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("sasl store: read %s: %w", path, err)
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("sasl store %s: larger than %d bytes", path, maxFile)
	}
	recs, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("sasl store %s: %w", path, err)
	}
	return recs, nil
}

// Lookup returns the record of user@realm; ok is false when the store
// has no line for it (then sasldb2 may be asked).
func (s *Store) Lookup(user, realm string) (rec Record, ok bool, err error) {
	recs, err := s.current()
	if err != nil {
		return Record{}, false, err
	}
	rec, ok = recs[Key(user, realm)]
	return rec, ok, nil
}

// List returns every record, tombstones included, sorted by key.
func (s *Store) List() ([]Record, error) {
	recs, err := s.current()
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(recs))
	for k := range recs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Record, len(keys))
	for i, k := range keys {
		out[i] = recs[k]
	}
	return out, nil
}

// SetPassword stores fresh salted secrets of every scheme for user@realm,
// replacing a previous entry or tombstone.
func (s *Store) SetPassword(user, realm string, password []byte) error {
	if len(password) == 0 {
		return errors.New("sasl store: empty password")
	}
	rec := Record{User: user, Realm: realm}
	for _, scheme := range Schemes {
		sec, err := NewSecret(scheme, password, s.iterations)
		if err != nil {
			return fmt.Errorf("sasl store: %w", err)
		}
		rec.Secrets = append(rec.Secrets, sec)
	}
	return s.update(func(recs map[string]Record) (bool, error) {
		recs[Key(user, realm)] = rec
		return true, nil
	})
}

// Delete replaces the entry of user@realm by a tombstone, so that the
// user can log in neither with a store secret nor with an old sasldb2
// entry. Deleting an unknown user leaves a tombstone too.
func (s *Store) Delete(user, realm string) error {
	return s.update(func(recs map[string]Record) (bool, error) {
		k := Key(user, realm)
		if r, ok := recs[k]; ok && r.Deleted {
			return false, nil
		}
		recs[k] = Record{User: user, Realm: realm, Deleted: true}
		return true, nil
	})
}

// update runs change on the current records under the exclusive lock and
// writes the result atomically if change reports a modification.
func (s *Store) update(change func(map[string]Record) (bool, error)) error {
	_, statErr := os.Stat(s.path)
	fresh := errors.Is(statErr, os.ErrNotExist)
	f, err := lockfile.OpenLocked(s.path, os.O_RDWR|os.O_CREATE, s.newFileMode(), lockfile.Exclusive)
	if err != nil {
		return fmt.Errorf("sasl store: lock %s: %w", s.path, err)
	}
	defer f.Close()
	recs, err := readRecords(f, s.path)
	if err != nil {
		return err
	}
	changed, err := change(recs)
	if err != nil || !changed {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sasl store: %w", err)
	}
	if base := s.sasldbInfo(); fresh && base != nil && fi.Size() == 0 {
		// A new store takes the owner and group of the sasldb2 beside it
		// (e.g. root:sasl 0640), so the services that read one read both.
		fi = modeOf{base, fi.Mode().Perm()}
	}
	if err := writeAtomic(s.path, Format(recs), fi); err != nil {
		return err
	}
	s.mu.Lock()
	s.loaded = false
	s.mu.Unlock()
	return nil
}

// modeOf is a FileInfo with another permission (owner from the first).
type modeOf struct {
	os.FileInfo
	perm os.FileMode
}

func (m modeOf) Mode() os.FileMode { return m.perm }

func (s *Store) sasldbInfo() os.FileInfo {
	if base, ok := strings.CutSuffix(s.path, Suffix); ok && base != "" {
		if fi, err := os.Stat(base); err == nil {
			return fi
		}
	}
	return nil
}

// newFileMode is the mode of a store created from nothing: that of the
// sasldb2 beside it when there is one (its readers are ours), else 0640.
func (s *Store) newFileMode() os.FileMode {
	if fi := s.sasldbInfo(); fi != nil {
		return fi.Mode().Perm() & 0o660
	}
	return 0o640
}

// writeAtomic replaces path by data: temp file in the same directory with
// the mode and owner of the current file, fsync, rename, fsync directory.
func writeAtomic(path string, data []byte, like os.FileInfo) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("sasl store: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(like.Mode().Perm()); err != nil {
		return fmt.Errorf("sasl store: %w", err)
	}
	if st, _ := like.Sys().(*syscall.Stat_t); st != nil {
		// Keep the owner (e.g. root:sasl) when root rewrites the file;
		// an unprivileged writer can only keep its own, which is the same.
		if err := tmp.Chown(int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("sasl store: %w", err)
		}
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("sasl store: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sasl store: fsync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sasl store: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sasl store: %w", err)
	}
	ok = true
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sasl store: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sasl store: fsync %s: %w", dir, err)
	}
	return nil
}
