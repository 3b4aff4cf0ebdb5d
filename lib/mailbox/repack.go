package mailbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gyrus/lib/fileio"
	"gyrus/lib/lockfile"
	"gyrus/lib/mailbox/index"
)

// Cleanup does the work that expunges and deletes leave for later, as
// Cyrus does when a mailbox is closed: with the mailbox name lock held
// exclusively (no other process has it open), it removes the files of
// UNLINKED records and, if the index is flagged NEEDS_REPACK, writes a
// new index and cache without them (generation + 1). Cleanup waits for
// the exclusive lock; Close only tries it.
func (mb *Mailbox) Cleanup() error {
	if mb.closed {
		return ErrClosed
	}
	if mb.mode != ReadWrite {
		return ErrReadOnly
	}
	return mb.cleanup(true)
}

// exclusive runs fn with the namespace lock, the name lock and the index
// lock all exclusive, then goes back to holding only the shared name
// lock.
func (mb *Mailbox) exclusive(wait bool, fn func(tx *Tx) error) error {
	if mb.tx != nil {
		return ErrTxOpen
	}
	if err := mb.locks.lockUser(lockfile.Exclusive, lockfile.Exclusive, wait); err != nil {
		return err
	}
	defer func() {
		mb.locks.unlockUser()
		if mb.locks.nameMode != lockfile.Shared || !mb.locks.nameHeld {
			mb.locks.lockName(lockfile.Shared, true)
		}
	}()
	f, err := lockfile.OpenLocked(mb.loc.indexPath(), os.O_RDWR, 0, lockfile.Exclusive)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", mb.loc.indexPath(), ErrNotFound)
		}
		return err
	}
	if err := mb.loadState(f); err != nil {
		f.Close()
		return err
	}
	tx := &Tx{mb: mb, f: f, old: mb.hdr, h: mb.hdr, mh: *mb.mh,
		changes: map[uint32]*index.Record{}, syncDirs: map[string]bool{}}
	tx.usageBefore = usageOf(&tx.h)
	mb.tx = tx
	// the user lock is released by the deferred function, not by finish
	defer func() {
		if !tx.done {
			tx.Abort()
		}
	}()
	return fn(tx)
}

func (mb *Mailbox) cleanup(wait bool) error {
	return mb.exclusive(wait, func(tx *Tx) error {
		h := tx.h
		switch {
		case h.Options&index.OptMailboxDeleted != 0:
			return tx.Commit() // deleteCleanup handles it
		case h.Options&index.OptNeedsRepack != 0:
			return tx.repack()
		case h.Options&index.OptNeedsUnlink != 0:
			if err := tx.unlinkPass(); err != nil {
				return err
			}
			return tx.Commit()
		}
		return tx.Commit()
	})
}

// unlinkPass removes the files of UNLINKED records and clears their
// NEEDS_CLEANUP flags (Cyrus mailbox_index_unlink).
func (tx *Tx) unlinkPass() error {
	for recno := uint32(1); recno <= tx.h.NumRecords; recno++ {
		r, err := tx.record(recno)
		if err != nil {
			return err
		}
		if r.InternalFlags&(index.InternalNeedsCleanup|index.InternalUnlinked) == 0 {
			continue
		}
		if err := tx.recordCleanup(&r); err != nil {
			return err
		}
		if r.InternalFlags&index.InternalNeedsCleanup != 0 {
			r.InternalFlags &^= index.InternalNeedsCleanup
			if err := tx.rewrite(recno, r, true); err != nil {
				return err
			}
		}
	}
	tx.h.Options &^= index.OptNeedsUnlink
	return nil
}

// recordCleanup removes the files and the annotations of an UNLINKED
// record, and the name an archived or unarchived record left behind.
func (tx *Tx) recordCleanup(r *index.Record) error {
	if err := tx.removeRecordFiles(r); err != nil {
		return err
	}
	if !r.Unlinked() {
		return nil
	}
	return tx.dropAnnotations(r.UID)
}

// repack writes cyrus.index.NEW and cyrus.cache.NEW with generation + 1
// and without the UNLINKED records (whose files it removes), fsyncs both
// and renames them into place, index first, as Cyrus's
// mailbox_index_repack does. Must run under exclusive().
func (tx *Tx) repack() (err error) {
	mb := tx.mb
	loc := &mb.loc
	nh := tx.h
	nh.Generation++
	nh.NumRecords = 0
	nh.LeakedCacheRecords = 0
	nh.MinorVersion = index.MinorVersion

	idxNew := loc.indexPath() + index.NewSuffix
	cacheNew := loc.cachePath() + index.NewSuffix
	fi, err := fileio.Open(idxNew, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	fc, err := fileio.Open(cacheNew, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		fi.Close()
		os.Remove(idxNew)
		return err
	}
	defer func() {
		fi.Close()
		fc.Close()
		if err != nil {
			os.Remove(idxNew)
			os.Remove(cacheNew)
		}
	}()
	wi := bufio.NewWriterSize(fi, 1<<16)
	wc := bufio.NewWriterSize(fc, 1<<16)
	if _, err = wi.Write(make([]byte, index.HeaderSize)); err != nil {
		return err
	}
	if _, err = wc.Write(index.CacheFileHeader(nh.Generation)); err != nil {
		return err
	}
	cacheOff := int64(index.CacheFileHeaderSize)

	var oldCache *cacheReader
	arch := &repackArchive{loc: loc, gen: tx.h.Generation, ngn: nh.Generation}
	defer func() {
		if oldCache != nil {
			oldCache.close()
		}
		arch.close(err != nil)
	}()
	rb := make([]byte, index.RecordSize)
	for recno := uint32(1); recno <= tx.h.NumRecords; recno++ {
		r, rerr := tx.record(recno)
		if rerr != nil {
			return rerr
		}
		if r.InternalFlags&(index.InternalNeedsCleanup|index.InternalUnlinked) != 0 {
			if err = tx.recordCleanup(&r); err != nil {
				return err
			}
			r.InternalFlags &^= index.InternalNeedsCleanup
		}
		if r.Unlinked() {
			if r.ModSeq > nh.DeletedModSeq {
				nh.DeletedModSeq = r.ModSeq
				nh.ChangesEpoch = r.LastUpdated
			}
			continue
		}
		if arch.handles(&r) {
			if err = arch.copy(&r); err != nil {
				return err
			}
			r.Marshal(rb)
			if _, err = wi.Write(rb); err != nil {
				return err
			}
			nh.NumRecords++
			continue
		}
		if oldCache == nil {
			f, oerr := openCacheGen(loc.cachePath(), tx.h.Generation, os.O_RDONLY, true)
			if oerr != nil {
				return oerr
			}
			oldCache = &cacheReader{f: f, gen: tx.h.Generation, path: loc.cachePath()}
		}
		e, cerr := oldCache.entry(r.CacheOffset, r.CacheCRC)
		if cerr != nil {
			return fmt.Errorf("repack uid %d: %w", r.UID, cerr)
		}
		entry := e.Raw
		if _, err = wc.Write(entry); err != nil {
			return err
		}
		r.CacheOffset = uint64(cacheOff)
		cacheOff += int64(len(entry))
		r.Marshal(rb)
		if _, err = wi.Write(rb); err != nil {
			return err
		}
		nh.NumRecords++
	}
	nh.Options &^= index.OptNeedsRepack | index.OptNeedsUnlink
	nh.LastRepackTime = mb.opts.nowUnix()
	if err = wi.Flush(); err != nil {
		return err
	}
	if err = wc.Flush(); err != nil {
		return err
	}
	if _, err = fi.WriteAt(nh.Bytes(), 0); err != nil {
		return err
	}
	if err = fi.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", idxNew, err)
	}
	if err = fc.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", cacheNew, err)
	}
	if err = arch.sync(); err != nil {
		return err
	}
	crashPoint("repack:after-new-files")
	// annotations of the dropped records go before the files move
	if err = tx.commitAnnotations(); err != nil {
		return err
	}
	tx.annots = nil
	crashPoint("repack:after-annotations")
	if err = os.Rename(idxNew, loc.indexPath()); err != nil {
		return err
	}
	arch.renamed = true
	crashPoint("repack:after-index-rename")
	if err = os.Rename(cacheNew, loc.cachePath()); err != nil {
		// the index is already the new one: the next lock rolls the
		// cache forward (openCacheGen)
		return err
	}
	crashPoint("repack:after-cache-rename")
	if err = arch.install(); err != nil {
		return err
	}
	if err = fsyncDir(loc.MetaDir); err != nil {
		return err
	}
	// the transaction is finished; the handle follows the new file
	tx.done = true
	tx.f.Close()
	tx.mb.tx = nil
	f, oerr := lockfile.OpenLocked(loc.indexPath(), os.O_RDWR, 0, lockfile.Exclusive)
	if oerr != nil {
		return oerr
	}
	defer f.Close()
	return mb.loadState(f)
}

// deleteCleanup removes the files of a mailbox marked deleted once no
// other process has it open (Cyrus mailbox_delete_cleanup).
func (mb *Mailbox) deleteCleanup() error {
	return mb.exclusive(true, func(tx *Tx) error {
		if tx.h.Options&index.OptMailboxDeleted == 0 {
			return tx.Commit()
		}
		tx.Abort()
		return DeleteFiles(mb.loc)
	})
}

// DeleteFiles removes every file of a mailbox's directories and the
// directories themselves when they end up empty (a legacy mailbox's
// directory also holds its children's directories, which stay). For
// by-uuid mailboxes the two empty hash levels above are removed too. The
// caller holds the name lock exclusively or knows nobody uses the files.
func DeleteFiles(loc Location) error {
	var first error
	dirs := []string{loc.Dir}
	if loc.MetaDir != loc.Dir {
		dirs = append(dirs, loc.MetaDir)
	}
	if loc.separateArchive() {
		dirs = append(dirs, loc.ArchiveDir)
	}
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) && first == nil {
				first = err
			}
			continue
		}
		for _, e := range ents {
			if e.IsDir() {
				continue
			}
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
				first = err
			}
		}
		if os.Remove(dir) == nil && !loc.Legacy {
			// uuid/<c0>/<c1>/<id>: try the two hash levels
			p := filepath.Dir(dir)
			for i := 0; i < 2 && strings.Contains(p, "/uuid/"); i++ {
				if os.Remove(p) != nil {
					break
				}
				p = filepath.Dir(p)
			}
		}
		if parent := filepath.Dir(dir); parent != dir {
			fsyncDir(parent)
		}
	}
	return first
}
