package mailbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/fileio"
	"gyrus/lib/lockfile"
	"gyrus/lib/log"
	"gyrus/lib/mailbox/index"
)

// Mode says whether a handle may change the mailbox.
type Mode int

const (
	ReadOnly Mode = iota
	ReadWrite
)

// Mailbox is an open mailbox: the name lock held shared for as long as it
// is open (so that no Cyrus or Gyrus process repacks or deletes it under
// us), a read-only mapping of cyrus.index, the parsed cyrus.header.
//
// A Mailbox is used by one goroutine at a time. Sessions of one process
// each open their own handle: OFD locks then exclude them from each other
// exactly as from other processes.
type Mailbox struct {
	loc   Location
	opts  Options
	mode  Mode
	locks nameLocks

	rf  *os.File  // index descriptor for shared locks
	m   *indexMap // mapping of the current index inode
	hdr index.Header
	// size of the index file when hdr was read
	size int64

	mh     *index.MailboxHeader
	mhDev  uint64
	mhIno  uint64
	mhCRC  uint32
	tx     *Tx
	closed bool

	annot *cyrusdb.DB // cyrus.annotations, opened on first use
}

// Open opens an existing mailbox. It takes the owner's namespace lock
// shared for the duration of the open, the mailbox name lock shared until
// Close, and reads cyrus.header and the cyrus.index header under a shared
// index lock. A mailbox marked deleted gives ErrDeleted, missing files
// ErrNotFound.
func Open(loc Location, opts Options, mode Mode) (*Mailbox, error) {
	mb := &Mailbox{loc: withArchive(loc, opts.ArchiveRoots), opts: opts, mode: mode}
	mb.locks.loc = &mb.loc
	if err := mb.locks.lockUser(lockfile.Shared, lockfile.Shared, true); err != nil {
		mb.locks.close()
		return nil, fmt.Errorf("open %s: %w", loc.Name, err)
	}
	err := mb.rlock()
	if err == nil {
		if mb.hdr.NumRecords > 0 {
			// a damaged cache does not stop the open: flags, UIDs and
			// message files are still there; cache reads report it
			if cerr := mb.recoverCache(); cerr != nil {
				log.Warn("mailbox_cache_unusable", "mailbox", loc.Name, "error", cerr.Error())
			}
		}
		mb.runlock()
		if err == nil && mb.hdr.Options&index.OptMailboxDeleted != 0 {
			err = ErrDeleted
		}
	}
	mb.locks.unlockUser()
	if err != nil {
		mb.release()
		return nil, fmt.Errorf("open %s: %w", loc.Name, err)
	}
	return mb, nil
}

// recoverCache finishes a repack that crashed between renaming the new
// index and the new cache into place. It runs under our shared name
// lock, so no repack is under way: a cyrus.cache.NEW is a leftover.
func (mb *Mailbox) recoverCache() error {
	f, err := openCacheGen(mb.loc.cachePath(), mb.hdr.Generation, os.O_RDONLY, true)
	if errors.Is(err, os.ErrNotExist) && mb.loc.separateArchive() {
		return nil // every message archived: Cyrus's repack removed it
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// Location returns where the mailbox is.
func (mb *Mailbox) Location() Location { return mb.loc }

// Options returns the handle's options.
func (mb *Mailbox) Options() Options { return mb.opts }

// Header returns the cyrus.index header as of the last lock (Open,
// Refresh, Begin or Commit).
func (mb *Mailbox) Header() index.Header { return mb.hdr }

// MailboxHeader returns a copy of cyrus.header as of the last lock.
func (mb *Mailbox) MailboxHeader() index.MailboxHeader { return *mb.mh }

// UserFlags returns the user flag names by slot ("" for a free slot).
func (mb *Mailbox) UserFlags() [index.MaxUserFlags]string { return mb.mh.Flags }

// QuotaRoot returns the quota root, "" if none.
func (mb *Mailbox) QuotaRoot() string { return mb.mh.QuotaRoot }

// Usage is what the mailbox counts against its quota root now (Cyrus
// mailbox_get_usage): nothing once it is marked deleted.
func (mb *Mailbox) Usage() Usage { return usageOf(&mb.hdr) }

func usageOf(h *index.Header) Usage {
	if h.Options&index.OptMailboxDeleted != 0 {
		return Usage{}
	}
	return Usage{Storage: int64(h.QuotaMailboxUsed), Messages: int64(h.Exists), AnnotStorage: int64(h.QuotaAnnotUsed), Folders: 1}
}

// Refresh re-reads the index header and cyrus.header under a shared lock.
func (mb *Mailbox) Refresh() error {
	if mb.closed {
		return ErrClosed
	}
	if err := mb.rlock(); err != nil {
		return err
	}
	mb.runlock()
	return nil
}

func (mb *Mailbox) openFlag() int {
	if mb.mode == ReadWrite {
		return os.O_RDWR
	}
	return os.O_RDONLY
}

// rlock takes the shared index lock (following a repack's rename to the
// new file) and loads the header state.
func (mb *Mailbox) rlock() error {
	if mb.tx != nil {
		// our own transaction holds the exclusive lock through another
		// descriptor: a shared lock here would wait for ourselves
		return ErrTxOpen
	}
	path := mb.loc.indexPath()
	var f *os.File
	var err error
	if mb.rf == nil {
		f, err = lockfile.OpenLocked(path, mb.openFlag(), 0, lockfile.Shared)
	} else {
		f, _, err = lockfile.Relock(mb.rf, path, mb.openFlag(), lockfile.Shared)
	}
	if err != nil {
		mb.rf = nil
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", path, ErrNotFound)
		}
		return err
	}
	mb.rf = f
	if err := mb.loadState(f); err != nil {
		lockfile.Unlock(f)
		return err
	}
	return nil
}

func (mb *Mailbox) runlock() {
	if mb.rf != nil {
		lockfile.Unlock(mb.rf)
	}
}

// loadState is called with an index lock held on f: it maps f, parses the
// index header and re-reads cyrus.header if it was replaced.
func (mb *Mailbox) loadState(f *os.File) error {
	if err := mb.loadIndex(f); err != nil {
		return err
	}
	return mb.loadMailboxHeader()
}

// loadIndex is loadState without cyrus.header.
func (mb *Mailbox) loadIndex(f *os.File) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	if mb.m == nil || !mb.m.same(&st) || !mb.m.fits(st.Size) {
		nm, err := newIndexMap(f, &st)
		if err != nil {
			return err
		}
		if mb.m != nil {
			if mb.m.same(&st) && mb.m.cache != nil {
				nm.cache, mb.m.cache = mb.m.cache, nil
			}
			mb.m.release()
		}
		mb.m = nm
	}
	h, err := mb.m.header(st.Size)
	if err != nil {
		return err
	}
	if h.FileSize() > st.Size {
		return corruptf(f.Name(), st.Size, "index file has %d bytes, header says %d records (%d bytes)", st.Size, h.NumRecords, h.FileSize())
	}
	fixupHeader(&h)
	mb.hdr, mb.size = h, st.Size
	return nil
}

// fixupHeader applies what Cyrus does to a header it has just read
// (mailbox_buf_to_index_header): a mailbox without messages has the
// POP3_NEW_UIDL option, and highestmodseq is at least 1.
func fixupHeader(h *index.Header) {
	if h.Exists == 0 {
		h.Options |= index.OptPOP3NewUIDL
	}
	if h.HighestModSeq == 0 {
		h.HighestModSeq = 1
	}
	if h.MinorVersion < 17 && h.ChangesEpoch == 0 {
		h.ChangesEpoch = h.LastRepackTime
	}
}

func (mb *Mailbox) loadMailboxHeader() error {
	path := mb.loc.headerPath()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if err == unix.ENOENT {
			return fmt.Errorf("%s: %w", path, ErrNotFound)
		}
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	// The same inode is not proof of the same file: ext4 hands a freed
	// inode to the next file created, so a header rewritten (renamed over)
	// twice can come back with the inode we loaded. The index header's CRC
	// of cyrus.header, written in the same commit, tells the truth, as in
	// Cyrus, which reloads when that CRC differs from the loaded one.
	if mb.mh != nil && mb.mhIno == st.Ino && mb.mhDev == uint64(st.Dev) &&
		(mb.hdr.HeaderFileCRC == 0 || mb.hdr.HeaderFileCRC == mb.mhCRC) {
		return nil
	}
	data, err := fileio.ReadFile(path)
	if err != nil {
		return err
	}
	mh, err := index.ParseMailboxHeader(data)
	if err != nil {
		return inFile(path, err)
	}
	mb.mh, mb.mhDev, mb.mhIno, mb.mhCRC = mh, uint64(st.Dev), st.Ino, index.FileCRC(data)
	mb.checkHeaderCRC()
	return nil
}

// checkHeaderCRC compares cyrus.header with the CRC the index header
// keeps of it. Cyrus only logs a mismatch (it happens after a crash
// between the header rename and the index header write, and the next
// commit repairs it); so do we, naming both files.
func (mb *Mailbox) checkHeaderCRC() {
	if mb.hdr.HeaderFileCRC != 0 && mb.mhCRC != mb.hdr.HeaderFileCRC {
		log.Warn("mailbox_header_crc_mismatch", "mailbox", mb.loc.Name,
			"header", mb.loc.headerPath(), "index", mb.loc.indexPath(),
			"file_crc", fmt.Sprintf("%08x", mb.mhCRC), "index_crc", fmt.Sprintf("%08x", mb.hdr.HeaderFileCRC))
	}
}

// release frees everything without cleanup.
func (mb *Mailbox) release() {
	if mb.rf != nil {
		mb.rf.Close()
		mb.rf = nil
	}
	if mb.m != nil {
		mb.m.release()
		mb.m = nil
	}
	mb.closeAnnot()
	mb.locks.close()
	mb.closed = true
}

// Close ends the handle. An open transaction is aborted. If the mailbox
// needs cleanup (expunged files to unlink, records to repack) Close tries
// to do it: that needs the name lock exclusive, which it only takes if no
// other process has the mailbox open (otherwise the next closer or
// cyr_expire does it). A mailbox marked deleted is removed from disk once
// the name lock can be had exclusively; Close waits for that, as Cyrus
// does.
func (mb *Mailbox) Close() error {
	if mb.closed {
		return nil
	}
	if mb.tx != nil {
		mb.tx.Abort()
	}
	var err error
	if mb.mode == ReadWrite {
		if rerr := mb.rlock(); rerr == nil {
			mb.runlock()
			if mb.hdr.Options&index.OptMailboxDeleted != 0 {
				err = mb.deleteCleanup()
			} else if mb.hdr.Options&index.CleanupMask != 0 {
				err = mb.cleanup(false)
				if errors.Is(err, ErrLocked) {
					err = nil
				}
			}
		}
	}
	mb.release()
	return err
}

// ensureDir creates dir (and parents) with Cyrus's 0755 (masked by umask).
func ensureDir(dir string) error {
	return os.MkdirAll(dir, 0o755)
}

// fsyncDir makes a directory's entries durable.
func fsyncDir(dir string) error {
	d, err := fileio.Open(dir, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// writeFileSync writes data to path.NEW, fsyncs it and renames it over
// path; the caller fsyncs the directory.
func writeFileSync(path string, data []byte) error {
	tmp := path + index.NewSuffix
	f, err := fileio.Open(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Exists reports whether a mailbox's files are present at loc.
func Exists(loc Location) bool {
	_, err := os.Stat(filepath.Join(loc.MetaDir, index.IndexFile))
	return err == nil
}

// Idle releases the shared name lock a handle holds while open, for a
// handle kept open between uses (lmtpd keeps its delivery targets open
// from one batch to the next): with it released, other processes may
// delete, rename or repack the mailbox meanwhile, as if the handle were
// closed. The next Begin takes the name lock again and re-reads what
// changed (the index, by inode and size; cyrus.header, by inode and
// CRC); a mailbox deleted meanwhile makes Begin fail. Until then only
// Begin and Close may be called on the handle (no views or reads). It
// fails with ErrTxOpen during a transaction.
func (mb *Mailbox) Idle() error {
	if mb.closed {
		return ErrClosed
	}
	if mb.tx != nil {
		return ErrTxOpen
	}
	mb.locks.unlockName()
	return nil
}
