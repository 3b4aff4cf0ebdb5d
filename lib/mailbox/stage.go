package mailbox

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/lib/fileio"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

// MessageInfo is what an append needs to know about a message, computed
// once when it arrives (lib/message parses it): the index record fields
// derived from the file and the encoded cyrus.cache entry.
type MessageInfo struct {
	Size       uint32
	HeaderSize uint32
	SentDate   uint32 // Date: truncated to the day; 0 if unparsable
	GMTime     uint32 // Date: as UTC; 0 if unparsable
	GUID       [20]byte
	Cache      []byte // the 10 items, framed (index.EncodeCacheEntry)
}

// InfoFromMessage takes what Append needs from a parsed message.
func InfoFromMessage(m *message.Message) MessageInfo {
	return MessageInfo{Size: m.Size, HeaderSize: m.HeaderSize, SentDate: m.SentDate,
		GMTime: m.GMTime, GUID: m.GUID, Cache: m.CacheEntry()}
}

// Staged is a message written once to a partition's staging directory
// (<partition>/stage.), from which Append hard-links (or copies) it into
// one or many mailboxes. It is not fsynced when written: the first
// transaction that places it syncs it together with the other new files
// of that transaction (see Tx.Commit), and later transactions that link
// the same inode find it clean. Close removes the staged copies; the
// mailboxes keep their links.
type Staged struct {
	Size   int64
	GUID   [20]byte
	name   string
	first  string
	mu     sync.Mutex
	paths  map[string]string // stage dir -> staged file there
	synced map[string]bool   // staged files known to be on disk
}

// isSynced reports whether a staged file is known to be on disk.
func (s *Staged) isSynced(p string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced[p]
}

func (s *Staged) markSynced(p string) {
	s.mu.Lock()
	s.synced[p] = true
	s.mu.Unlock()
}

var (
	stageSeq atomic.Uint64
	stagePID = strconv.Itoa(os.Getpid()) + "-"
)

// Stage copies r into a new file of stageDir (created if missing),
// computing the size and SHA-1 (the GUID) on the way.
func Stage(stageDir string, r io.Reader) (*Staged, error) {
	name := stagePID + strconv.FormatInt(time.Now().UnixNano(), 10) + "-" + strconv.FormatUint(stageSeq.Add(1), 10)
	path := filepath.Join(stageDir, name)
	const flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	f, err := fileio.Open(path, flags, 0o666)
	if errors.Is(err, os.ErrNotExist) {
		// the directory is looked for only when the file cannot be made
		if err := ensureDir(stageDir); err != nil {
			return nil, fmt.Errorf("stage directory: %w", err)
		}
		f, err = fileio.Open(path, flags, 0o666)
	}
	if err != nil {
		return nil, err
	}
	h := sha1.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("stage %s: %w", path, err)
	}
	s := &Staged{Size: n, name: name, first: path, paths: map[string]string{filepath.Clean(stageDir): path}, synced: map[string]bool{}}
	copy(s.GUID[:], h.Sum(nil))
	return s, nil
}

// Path is the first staged file.
func (s *Staged) Path() string { return s.first }

// Parse runs lib/message over the staged file and checks that it saw the
// same bytes.
func (s *Staged) Parse(opts message.Options) (MessageInfo, error) {
	f, err := fileio.Open(s.first, os.O_RDONLY, 0)
	if err != nil {
		return MessageInfo{}, err
	}
	defer f.Close()
	m, err := message.Parse(f, s.Size, opts)
	if err != nil {
		return MessageInfo{}, fmt.Errorf("parse %s: %w", s.first, err)
	}
	if m.GUID != s.GUID {
		return MessageInfo{}, fmt.Errorf("parse %s: file changed while staged", s.first)
	}
	return InfoFromMessage(m), nil
}

// pathFor returns a staged copy in stageDir (another partition gets its
// own copy, made once, so that links stay within a file system).
func (s *Staged) pathFor(stageDir string) (string, error) {
	if stageDir == "" {
		return s.first, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stageDir = filepath.Clean(stageDir)
	if p, ok := s.paths[stageDir]; ok {
		return p, nil
	}
	if err := ensureDir(stageDir); err != nil {
		return "", err
	}
	p := filepath.Join(stageDir, s.name)
	if err := copyFile(s.first, p, false); err != nil {
		return "", err
	}
	s.paths[stageDir] = p
	return p, nil
}

// Close removes the staged files.
func (s *Staged) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first error
	for _, p := range s.paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	s.paths = nil
	return first
}

// copyFile copies src to a new file dst, fsynced if sync.
func copyFile(src, dst string, sync bool) error {
	in, err := fileio.Open(src, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fileio.Open(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil && sync {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return nil
}

// placeFile puts src at dst: a hard link when link is set and possible
// (same file system), else a copy (not fsynced: the caller syncs it).
// Mtime is set to mtime (Cyrus keeps internaldate in the file's mtime).
// copied tells whether dst is a new inode.
func placeFile(src, dst string, link bool, mtime time.Time) (copied bool, err error) {
	placed := false
	if link {
		err := os.Link(src, dst)
		if errors.Is(err, os.ErrExist) {
			// A leftover of a crashed append with the same UID. Looked
			// for only when the link fails: the common case costs one
			// link(2) and no unlink(2).
			os.Remove(dst)
			err = os.Link(src, dst)
		}
		if err == nil {
			placed = true
		} else if !errors.Is(err, unix.EXDEV) && !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.EMLINK) {
			return false, fmt.Errorf("link %s to %s: %w", src, dst, err)
		}
	}
	if !placed {
		os.Remove(dst) // a leftover: never truncate a file linked elsewhere
		if err := copyFile(src, dst, false); err != nil {
			return false, err
		}
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(dst, mtime, mtime); err != nil {
			return !placed, err
		}
	}
	return !placed, nil
}

// checkInfo validates what a parser produced before it goes on disk.
func checkInfo(mi *MessageInfo) error {
	if mi.Size == 0 {
		return errors.New("mailbox: empty message")
	}
	if mi.GUID == ([20]byte{}) {
		return errors.New("mailbox: message without GUID")
	}
	n, err := index.CacheEntryLen(mi.Cache, 0)
	if err != nil || n != len(mi.Cache) {
		return fmt.Errorf("mailbox: cache entry is not 10 framed items: %v", err)
	}
	if mi.HeaderSize > mi.Size {
		return fmt.Errorf("mailbox: header size %d beyond message size %d", mi.HeaderSize, mi.Size)
	}
	return nil
}
