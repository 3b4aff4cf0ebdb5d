package sievedir

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// File names (Cyrus imap/sievedir.h).
const (
	ScriptSuffix   = ".script"
	BytecodeSuffix = ".bc"
	DefaultBC      = "defaultbc"
	// MaxNameLen bounds a script name: Cyrus's SIEVEDIR_MAX_NAME_LEN, a
	// 1024-byte path component less ".script" and ".NEW".
	MaxNameLen = 1024 - len(ScriptSuffix) - 4
)

// Errors of the store.
var (
	ErrInvalidName = errors.New("sievedir: invalid script name")
	ErrNotFound    = errors.New("sievedir: no such script")
	ErrExists      = errors.New("sievedir: script exists")
	ErrActive      = errors.New("sievedir: script is active")
	ErrNoInbox     = errors.New("sievedir: user has no INBOX")
)

// ValidName is Cyrus's sievedir_valid_name: at least one byte, no '/'
// and no NUL, shorter than MaxNameLen.
func ValidName(name string) bool {
	return name != "" && len(name) < MaxNameLen && !strings.ContainsAny(name, "/\x00")
}

// Script is one entry of a listing.
type Script struct {
	Name   string
	Active bool
}

// Dir is one user's (or the global) script directory. It holds no open
// file; every method works on the directory as it is now.
type Dir struct {
	Path string
}

// Open returns the directory at path; nothing is read or created yet.
func Open(path string) *Dir { return &Dir{Path: path} }

func (d *Dir) file(name string) string { return filepath.Join(d.Path, name) }

// Create makes the directory and its parents (mode 0755, as Cyrus's
// cyrus_mkdir).
func (d *Dir) Create() error {
	if err := os.MkdirAll(d.Path, 0o755); err != nil {
		return fmt.Errorf("sievedir: %w", err)
	}
	return nil
}

// List returns the scripts (the <name>.script regular files) with the
// active one marked, oldest first: in the order they were created, as
// Cyrus 3.6.1 lists them (a replaced or renamed script keeps its place,
// see Put), names breaking ties. A missing directory has none.
func (d *Dir) List() ([]Script, error) {
	ents, err := os.ReadDir(d.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("sievedir: %w", err)
	}
	active, _ := d.Active()
	var out []Script
	var born []int64
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(n, ScriptSuffix) || len(n) == len(ScriptSuffix) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		name := strings.TrimSuffix(n, ScriptSuffix)
		out = append(out, Script{Name: name, Active: name == active})
		born = append(born, fi.ModTime().UnixNano())
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if born[i] != born[j] {
			return born[i] < born[j]
		}
		return out[i].Name < out[j].Name
	})
	sorted := make([]Script, len(out))
	for k, i := range idx {
		sorted[k] = out[i]
	}
	return sorted, nil
}

// Count is the number of scripts.
func (d *Dir) Count() (int, error) {
	l, err := d.List()
	return len(l), err
}

// Exists reports whether the script is there.
func (d *Dir) Exists(name string) (bool, error) {
	if !ValidName(name) {
		return false, ErrInvalidName
	}
	fi, err := os.Lstat(d.file(name + ScriptSuffix))
	switch {
	case err == nil:
		return fi.Mode().IsRegular(), nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("sievedir: %w", err)
}

// Get returns a script's source.
func (d *Dir) Get(name string) ([]byte, error) { return d.read(name, ScriptSuffix) }

// Bytecode returns a script's compiled form.
func (d *Dir) Bytecode(name string) ([]byte, error) { return d.read(name, BytecodeSuffix) }

// read returns the file of script name with suffix.
func (d *Dir) read(name, suffix string) ([]byte, error) {
	if !ValidName(name) {
		return nil, ErrInvalidName
	}
	b, err := os.ReadFile(d.file(name + suffix))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sievedir: %w", err)
	}
	return b, nil
}

// Active returns the name of the active script, "" when none is (Cyrus
// sievedir_get_active: the target of defaultbc without ".bc").
func (d *Dir) Active() (string, error) {
	t, err := os.Readlink(d.file(DefaultBC))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", fmt.Errorf("sievedir: %w", err)
	}
	if len(t) <= len(BytecodeSuffix) || !strings.HasSuffix(t, BytecodeSuffix) {
		return "", nil
	}
	return strings.TrimSuffix(t, BytecodeSuffix), nil
}

// ActiveBytecodePath is the file lmtpd runs: <dir>/defaultbc, when it
// exists and points at a bytecode file that exists.
func (d *Dir) ActiveBytecodePath() (string, bool) {
	p := d.file(DefaultBC)
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

// Put stores a script and its bytecode, replacing a script of the same
// name (and so, when that one is active, the active script), durably.
// The modification time of <name>.script is the script's creation time:
// a replacement keeps the time of the script it replaces, so that List
// keeps Cyrus's order.
func (d *Dir) Put(name string, script, bytecode []byte) error {
	if !ValidName(name) {
		return ErrInvalidName
	}
	if err := d.Create(); err != nil {
		return err
	}
	bcTmp, err := d.writeTemp(bytecode)
	if err != nil {
		return err
	}
	srcTmp, err := d.writeTemp(script)
	if err != nil {
		os.Remove(bcTmp)
		return err
	}
	// the file system's clock may be too coarse to order two scripts
	// stored in a row: the creation time is set to the nanosecond
	born := time.Now()
	if fi, err := os.Lstat(d.file(name + ScriptSuffix)); err == nil && fi.Mode().IsRegular() {
		born = fi.ModTime()
	}
	os.Chtimes(srcTmp, time.Time{}, born)
	if err := os.Rename(bcTmp, d.file(name+BytecodeSuffix)); err != nil {
		os.Remove(bcTmp)
		os.Remove(srcTmp)
		return fmt.Errorf("sievedir: %w", err)
	}
	if err := os.Rename(srcTmp, d.file(name+ScriptSuffix)); err != nil {
		os.Remove(srcTmp)
		return fmt.Errorf("sievedir: %w", err)
	}
	return d.syncDir()
}

// SetActive makes name the active script; "" deactivates (Cyrus
// sievedir_activate_script, sievedir_deactivate_script). The script must
// exist.
func (d *Dir) SetActive(name string) error {
	if name == "" {
		err := os.Remove(d.file(DefaultBC))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sievedir: %w", err)
		}
		if err != nil {
			return nil
		}
		return d.syncDir()
	}
	ok, err := d.Exists(name)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	if cur, _ := d.Active(); cur == name {
		return nil
	}
	return d.link(name)
}

// link points defaultbc at name.bc through a temporary link renamed over
// it.
func (d *Dir) link(name string) error {
	tmp := d.file(tempName())
	if err := os.Symlink(name+BytecodeSuffix, tmp); err != nil {
		return fmt.Errorf("sievedir: %w", err)
	}
	if err := os.Rename(tmp, d.file(DefaultBC)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sievedir: %w", err)
	}
	return d.syncDir()
}

// Delete removes a script and its bytecode. The active script cannot be
// deleted (RFC 5804 2.10).
func (d *Dir) Delete(name string) error {
	ok, err := d.Exists(name)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	if cur, _ := d.Active(); cur == name {
		return ErrActive
	}
	if err := os.Remove(d.file(name + ScriptSuffix)); err != nil {
		return fmt.Errorf("sievedir: %w", err)
	}
	if err := os.Remove(d.file(name + BytecodeSuffix)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sievedir: %w", err)
	}
	return d.syncDir()
}

// Rename gives a script a new name; it stays active if it was (RFC 5804
// 2.11.1). The new name must be free.
func (d *Dir) Rename(oldName, newName string) error {
	if !ValidName(oldName) || !ValidName(newName) {
		return ErrInvalidName
	}
	if ok, err := d.Exists(newName); err != nil {
		return err
	} else if ok {
		return ErrExists
	}
	if ok, err := d.Exists(oldName); err != nil {
		return err
	} else if !ok {
		return ErrNotFound
	}
	active, _ := d.Active()
	oldBC, newBC := d.file(oldName+BytecodeSuffix), d.file(newName+BytecodeSuffix)
	// The new bytecode name exists (as a link) before defaultbc moves
	// to it, and the old one goes only after: lmtpd always finds the
	// active script.
	hasBC := true
	if err := os.Link(oldBC, newBC); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sievedir: %w", err)
		}
		hasBC = false
	}
	if active == oldName {
		if err := d.link(newName); err != nil {
			return err
		}
	}
	if err := os.Rename(d.file(oldName+ScriptSuffix), d.file(newName+ScriptSuffix)); err != nil {
		return fmt.Errorf("sievedir: %w", err)
	}
	if hasBC {
		os.Remove(oldBC)
	}
	return d.syncDir()
}

// writeTemp writes b to a new temporary file of the directory and
// fsyncs it.
func (d *Dir) writeTemp(b []byte) (string, error) {
	p := d.file(tempName())
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("sievedir: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
		return "", fmt.Errorf("sievedir: write %s: %w", p, err)
	}
	return p, nil
}

func (d *Dir) syncDir() error {
	f, err := os.Open(d.Path)
	if err != nil {
		return fmt.Errorf("sievedir: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sievedir: fsync %s: %w", d.Path, err)
	}
	return nil
}

// tempName is a fresh name that no listing takes for a script.
func tempName() string {
	var b [8]byte
	rand.Read(b[:])
	return "." + hex.EncodeToString(b[:]) + ".NEW"
}
