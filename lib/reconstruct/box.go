package reconstruct

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/lockfile"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
)

// rec is one record of the index being repaired.
type rec struct {
	index.Record
	recno uint32 // 0 for an appended record
	bad   bool   // could not be read (CRC, truncation)
	dirty bool   // must be written back
}

// box is one mailbox under repair: its locks, what was read from its
// files, and the changes made so far (written by commit).
type box struct {
	r   *Reconstructor
	e   *mboxlist.Entry
	loc mailbox.Location

	nameLock *os.File
	nameExcl bool
	idx      *os.File // cyrus.index, exclusively locked (nil when missing)

	// the index as read
	raw    []byte
	old    index.Header // the header as read (valid when oldOK)
	oldOK  bool
	h      index.Header // the header being built
	fresh  bool         // the index is rebuilt from scratch
	recs   []rec        // existing records in recno order
	apps   []rec        // records to append
	nWiped int

	mh      *index.MailboxHeader
	mhCRC   uint32
	mhDirty bool

	cache  cacheFile // cyrus.cache of the data partition
	acache cacheFile // cyrus.cache of the archive directory (when separate)

	annot     *cyrusdb.DB // cyrus.annotations (nil if none)
	annots    map[uint32][]msgAnnot
	annotDels []string // keys to delete at commit

	entryUpdate *mboxlist.Entry // mailboxes.db record to write after commit

	cnt         counts            // counters kept in step with each change
	moveTo      *mailbox.Location // -I on a by-uuid mailbox: its new place
	dirChanged  bool              // message files were renamed in Dir
	adirChanged bool              // message files were renamed in ArchiveDir
	changed     bool              // something will be written
	wantCleanup bool              // unlinked records or a repack to do afterwards
	closed      bool
}

func (b *box) now() uint32 { return uint32(b.r.env.Now().Unix()) }

func (b *box) indexPath() string  { return b.loc.IndexPath() }
func (b *box) headerPath() string { return filepath.Join(b.loc.MetaDir, index.HeaderFile) }
func (b *box) cachePath() string  { return filepath.Join(b.loc.MetaDir, index.CacheFile) }
func (b *box) annotPath() string  { return filepath.Join(b.loc.MetaDir, index.AnnotationsFile) }

// separateArchive reports whether the mailbox has an archive directory
// of its own (an archivepartition for its partition, archive_enabled).
func (b *box) separateArchive() bool {
	return b.loc.ArchiveDir != "" && filepath.Clean(b.loc.ArchiveDir) != filepath.Clean(b.loc.Dir)
}

// cacheOf is the cache file that holds (or will hold) r's entry: the
// archive directory's for an archived record (Cyrus mailbox_cachefile).
func (b *box) cacheOf(r *index.Record) *cacheFile {
	if r.InternalFlags&index.InternalArchived != 0 && b.separateArchive() {
		return &b.acache
	}
	return &b.cache
}

// openBox locates the mailbox of e, takes its name lock and index lock,
// and reads what can be read. The caller holds the namespace lock.
func (r *Reconstructor) openBox(e *mboxlist.Entry) (*box, error) {
	loc, err := r.env.List.Settings().Locate(e)
	if err != nil {
		return nil, err
	}
	loc.UserLock = "" // held by the caller
	loc = mailbox.WithArchive(loc, r.env.Mailbox)
	b := &box{r: r, e: e, loc: loc}
	if err := b.lockName(lockfile.Shared); err != nil {
		return nil, err
	}
	if err := b.load(); err != nil {
		b.close()
		return nil, err
	}
	if b.fresh && r.opt.MakeChanges && !b.nameExcl {
		// a rebuild from scratch renames new files into place: nobody
		// may have the mailbox open meanwhile
		b.unlockIndex()
		if err := b.lockName(lockfile.Exclusive); err != nil {
			b.close()
			return nil, err
		}
		if err := b.load(); err != nil {
			b.close()
			return nil, err
		}
	}
	return b, nil
}

func (b *box) lockName(mode lockfile.Mode) error {
	if b.loc.NameLock == "" {
		b.nameExcl = mode == lockfile.Exclusive
		return nil
	}
	if b.nameLock == nil {
		if err := os.MkdirAll(filepath.Dir(b.loc.NameLock), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(b.loc.NameLock, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o666)
		if err != nil {
			return fmt.Errorf("name lock: %w", err)
		}
		b.nameLock = f
	} else {
		lockfile.Unlock(b.nameLock)
	}
	if err := lockfile.Lock(b.nameLock, mode); err != nil {
		return fmt.Errorf("name lock %s: %w", b.loc.NameLock, err)
	}
	b.nameExcl = mode == lockfile.Exclusive
	return nil
}

func (b *box) unlockIndex() {
	if b.idx != nil {
		b.idx.Close()
		b.idx = nil
	}
	b.cache.close()
	b.acache.close()
	if b.annot != nil {
		b.annot.Close()
		b.annot = nil
	}
}

func (b *box) close() {
	if b.closed {
		return
	}
	b.closed = true
	b.unlockIndex()
	if b.nameLock != nil {
		b.nameLock.Close()
		b.nameLock = nil
	}
}

// load reads cyrus.header, cyrus.index and cyrus.cache under the index
// lock (taken here, exclusive, kept until close).
func (b *box) load() error {
	b.unlockIndex()
	*b = box{r: b.r, e: b.e, loc: b.loc, nameLock: b.nameLock, nameExcl: b.nameExcl}
	f, err := lockfile.OpenLocked(b.indexPath(), os.O_RDWR, 0, lockfile.Exclusive)
	switch {
	case errors.Is(err, os.ErrNotExist):
		b.fresh = true
	case err != nil:
		return err
	default:
		b.idx = f
		if b.raw, err = readAll(f); err != nil {
			return err
		}
		h, herr := index.ParseHeader(b.raw)
		if herr == nil && int64(len(b.raw)) < int64(h.StartOffset) {
			herr = errors.New("index shorter than its header")
		}
		if herr != nil {
			b.fresh = true
		} else if h.FileSize() > int64(len(b.raw)) {
			// records promised by the header are missing
			b.fresh = true
		} else {
			b.old, b.oldOK, b.h = h, true, h
			b.loadRecords()
		}
	}
	if err := b.loadHeader(); err != nil {
		return err
	}
	if err := b.cache.open(b.cachePath()); err != nil {
		return err
	}
	if b.separateArchive() {
		// written only when it gets entries or replaces a file there
		b.acache.optional = true
		if err := b.acache.open(b.loc.ArchiveCachePath()); err != nil {
			return err
		}
	}
	return nil
}

func readAll(f *os.File) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, st.Size())
	n, err := f.ReadAt(buf, 0)
	if err != nil && n != len(buf) {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return buf, nil
}

// loadHeader reads cyrus.header; mh stays nil if it cannot be read.
func (b *box) loadHeader() error {
	data, err := os.ReadFile(b.headerPath())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err == nil {
		if mh, perr := index.ParseMailboxHeader(data); perr == nil && mh.Name != "" {
			b.mh, b.mhCRC = mh, index.FileCRC(data)
		}
	}
	return nil
}

// headerFromEntry builds cyrus.header again from mailboxes.db (and the
// quota store for the quota root), as Cyrus's mailbox_create writes it.
func (b *box) headerFromEntry() *index.MailboxHeader {
	mh := &index.MailboxHeader{Type: b.e.Type.String(), Name: b.e.Name, UniqueID: b.e.UniqueID,
		ACL: b.e.ACL, HasACL: true}
	if mh.Type == "" {
		mh.Type = "e"
	}
	if q := b.r.env.Quota; q != nil {
		if root, ok, err := q.FindRoot(b.e.Name); err == nil && ok {
			mh.QuotaRoot, mh.HasQuotaRoot = root, true
		}
	}
	return mh
}

// newUniqueID gives the mailbox a new uniqueid (-I). A by-uuid mailbox
// keeps its directory: its path is found through mailboxes.db, which is
// rewritten with the new id, so the files move to the new place at
// commit.
func (b *box) newUniqueID() error {
	id := mboxlist.NewUniqueID()
	b.mh.UniqueID = id
	b.mhDirty = true
	if b.loc.Legacy {
		return nil
	}
	ne := b.e.Clone()
	ne.UniqueID = id
	nloc, err := b.r.env.List.Settings().Locate(ne)
	if err != nil {
		return err
	}
	nloc = mailbox.WithArchive(nloc, b.r.env.Mailbox)
	b.moveTo = &nloc
	return nil
}
