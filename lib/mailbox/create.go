package mailbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gyrus/lib/fileio"
	"gyrus/lib/lockfile"
	"gyrus/lib/mailbox/index"
)

// CreateOptions are the facts a new mailbox starts with (the mailboxes.db
// entry is another package's business).
type CreateOptions struct {
	// Type is the mbtype string for cyrus.header T ("e" for mail,
	// "el" for a legacy-directory mailbox...).
	Type      string
	ACL       string // Cyrus tab form "id\trights\t..."
	QuotaRoot string // "" for none
	// UIDValidity 0 means the creation time + 1 (what Cyrus 3.6 does
	// without conversations).
	UIDValidity uint32
	// HighestModSeq and CreatedModSeq: 0 means 1 (a new mailbox); set
	// them when recreating a mailbox (rename, replication).
	HighestModSeq uint64
	CreatedModSeq uint64
	Options       uint32 // index.Opt* bits (OptionsMask)
}

// Create makes a new mailbox at loc: the directories, cyrus.header and a
// cyrus.index without records (cyrus.cache comes with the first append),
// all fsynced, and returns it open read-write. Cyrus requires the owner's
// namespace lock to be held exclusively for a create: Create takes it
// (unless loc.UserLock is "", for a caller that already holds it), and
// the name lock exclusively while it writes. It fails with ErrExists if
// the files are already there. The quota root, if any, is charged one
// folder.
func Create(loc Location, co CreateOptions, opts Options) (*Mailbox, error) {
	if Exists(loc) {
		return nil, fmt.Errorf("create %s: %w", loc.Name, ErrExists)
	}
	mb := &Mailbox{loc: withArchive(loc, opts.ArchiveRoots), opts: opts, mode: ReadWrite}
	mb.locks.loc = &mb.loc
	if err := mb.locks.lockUser(lockfile.Exclusive, lockfile.Exclusive, true); err != nil {
		mb.locks.close()
		return nil, fmt.Errorf("create %s: %w", loc.Name, err)
	}
	err := mb.create(co)
	mb.locks.unlockUser()
	if err == nil {
		err = mb.locks.lockName(lockfile.Shared, true)
	}
	if err != nil {
		mb.release()
		return nil, fmt.Errorf("create %s: %w", loc.Name, err)
	}
	return mb, nil
}

func (mb *Mailbox) create(co CreateOptions) error {
	loc := &mb.loc
	for _, d := range []string{loc.Dir, loc.MetaDir} {
		if err := ensureDir(d); err != nil {
			return err
		}
	}
	if _, err := os.Stat(loc.headerPath()); err == nil {
		return ErrExists
	}
	f, err := fileio.Open(loc.indexPath(), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if errors.Is(err, os.ErrExist) {
		return ErrExists
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := lockfile.Lock(f, lockfile.Exclusive); err != nil {
		os.Remove(loc.indexPath())
		return err
	}
	now := mb.opts.nowUnix()
	uv := co.UIDValidity
	if uv == 0 {
		uv = now + 1
	}
	h := index.NewHeader(uv, co.HighestModSeq, co.CreatedModSeq, co.Options&index.OptionsMask, now)
	typ := co.Type
	if typ == "" {
		typ = "e"
		if loc.Legacy {
			typ = "el"
		}
	}
	mh := &index.MailboxHeader{Type: typ, Name: loc.Name, UniqueID: loc.UniqueID,
		QuotaRoot: co.QuotaRoot, HasQuotaRoot: co.QuotaRoot != "", ACL: co.ACL, HasACL: true}
	data := mh.Marshal()
	fail := func(err error) error {
		os.Remove(loc.indexPath())
		os.Remove(loc.headerPath())
		return err
	}
	if err := writeFileSync(loc.headerPath(), data); err != nil {
		return fail(err)
	}
	h.HeaderFileCRC = index.FileCRC(data)
	if co.QuotaRoot != "" && mb.opts.Quota != nil {
		if err := mb.opts.Quota.Charge(co.QuotaRoot, Usage{Folders: 1}); err != nil {
			return fail(fmt.Errorf("quota %s: %w", co.QuotaRoot, err))
		}
	}
	if _, err := f.WriteAt(h.Bytes(), 0); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := fsyncDir(loc.MetaDir); err != nil {
		return err
	}
	if err := fsyncDir(filepath.Dir(loc.MetaDir)); err != nil {
		return err
	}
	return mb.loadState(f)
}

// MarkDeleted flags the mailbox deleted (Cyrus mailbox_delete, the
// files side of delete_mode immediate; delayed delete is a rename to
// DELETED.* done by the mailboxes.db code with SetName or CopyFiles).
// At commit the quota root is charged minus the whole usage; the files go
// when the last process closes the mailbox (Close waits for that).
func (tx *Tx) MarkDeleted() {
	tx.h.Options |= index.OptMailboxDeleted
}

// CopyFiles copies the mailbox to dst (another partition, or a legacy
// by-name directory after a rename): the metadata files are copied, the
// message files of records that still have one are hard-linked when dst
// is on the same file system and copied otherwise, keeping their mtime
// (the internal date). Everything is fsynced. It runs inside a
// transaction so that nothing changes meanwhile; the caller then opens
// the copy, fixes its name/uniqueid (SetName, SetUniqueID) and removes
// the source with MarkDeleted or DeleteFiles (Cyrus mailbox_copy_files).
func (tx *Tx) CopyFiles(dst Location) error {
	if err := tx.check(); err != nil {
		return err
	}
	if tx.dirty() {
		return errors.New("mailbox: CopyFiles in a transaction with uncommitted changes")
	}
	src := &tx.mb.loc
	dst = withArchive(dst, tx.mb.opts.ArchiveRoots)
	if err := tx.copyArchiveCache(&dst); err != nil {
		return err
	}
	for _, d := range []string{dst.Dir, dst.MetaDir} {
		if err := ensureDir(d); err != nil {
			return err
		}
	}
	for _, name := range []string{index.HeaderFile, index.IndexFile, index.CacheFile, index.AnnotationsFile} {
		from := filepath.Join(src.MetaDir, name)
		to := filepath.Join(dst.MetaDir, name)
		if _, err := os.Stat(from); errors.Is(err, os.ErrNotExist) && name != index.HeaderFile && name != index.IndexFile {
			continue
		}
		os.Remove(to)
		if err := copyFileKeepTime(from, to); err != nil {
			return err
		}
	}
	for recno := uint32(1); recno <= tx.h.NumRecords; recno++ {
		r, err := tx.record(recno)
		if err != nil {
			return err
		}
		if r.Unlinked() {
			continue
		}
		from := src.RecordPath(&r)
		to := dst.RecordPath(&r)
		if err := ensureDir(filepath.Dir(to)); err != nil {
			return err
		}
		copied, err := placeFile(from, to, true, fileMTime(from))
		if err != nil {
			return err
		}
		if copied {
			if err := fsyncFile(to); err != nil {
				return err
			}
		}
	}
	if err := fsyncDir(dst.Dir); err != nil {
		return err
	}
	if dst.separateArchive() {
		if err := fsyncDir(dst.ArchiveDir); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if dst.MetaDir != dst.Dir {
		return fsyncDir(dst.MetaDir)
	}
	return nil
}

func fileMTime(path string) (t time.Time) {
	if st, err := os.Stat(path); err == nil {
		return st.ModTime()
	}
	return t
}

func copyFileKeepTime(from, to string) error {
	in, err := fileio.Open(from, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fileio.Open(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(to)
		return fmt.Errorf("copy %s to %s: %w", from, to, err)
	}
	if st, err := in.Stat(); err == nil {
		os.Chtimes(to, st.ModTime(), st.ModTime())
	}
	return nil
}
