package mailbox

// Archive partitions (imapd.conf archive_enabled, archivepartition-<name>;
// spec/config.md): Cyrus 3.6 can keep the files of old messages on a
// second, slower partition. An archived record carries the internal flag
// ARCHIVED (index.InternalArchived); its message file is at the same
// place under the archive partition's root as it would be under the data
// partition's root ("<archroot>/uuid/<c0>/<c1>/<uniqueid>/<uid>." or the
// hashed by-name path of a legacy mailbox), and its cache entry is in a
// second cyrus.cache in that archive directory (Cyrus's META_ARCHIVECACHE
// without metapartitions). With archiving off, or without an
// archivepartition for the mailbox's partition, both paths are the data
// paths: the flag is then only a flag.
//
// Moving a message (Tx.Archive) never loses it at any crash point: the
// file is linked or copied (and fsynced) to its new place, its cache
// entry appended and fsynced, then the record is rewritten with the flag
// and NEEDS_CLEANUP and the transaction commits; only the cleanup pass
// that runs under the exclusive name lock (Close, Cleanup) unlinks the
// old name, as for expunged files. Before the commit the old place is
// what counts; after it, the new one; in between both files exist.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gyrus/lib/config"
	"gyrus/lib/fileio"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxname"
)

// ArchiveRoot pairs a partition's data root with its archive root.
type ArchiveRoot struct {
	Data    string // partition-<name>
	Archive string // archivepartition-<name>
}

// ArchiveRootsFromConfig returns, when archive_enabled is on, the
// partitions that have an archivepartition-<name> (Cyrus
// config_archivepartitiondir); nil otherwise.
func ArchiveRootsFromConfig(c *config.Config) map[string]ArchiveRoot {
	if !c.ArchiveEnabled() {
		return nil
	}
	var out map[string]ArchiveRoot
	for name, root := range c.Partitions() {
		a, ok := c.Overflow("archivepartition-" + name)
		if !ok || a == "" {
			continue
		}
		if out == nil {
			out = map[string]ArchiveRoot{}
		}
		out[name] = ArchiveRoot{Data: root, Archive: a}
	}
	return out
}

// withArchive returns loc with ArchiveDir filled from the archive roots
// (unless already set): the data directory's place relative to the data
// root, under the archive root.
func withArchive(loc Location, roots map[string]ArchiveRoot) Location {
	if loc.ArchiveDir != "" || roots == nil {
		return loc
	}
	ar, ok := roots[loc.Partition]
	if !ok {
		return loc
	}
	data := filepath.Clean(ar.Data)
	dir := filepath.Clean(loc.Dir)
	rel, err := filepath.Rel(data, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return loc
	}
	loc.ArchiveDir = filepath.Join(ar.Archive, rel)
	return loc
}

// archiveDir is where archived message files are (Dir when there is no
// archive partition).
func (l *Location) archiveDir() string {
	if l.ArchiveDir == "" {
		return l.Dir
	}
	return l.ArchiveDir
}

// separateArchive reports whether archived files live elsewhere than the
// data directory.
func (l *Location) separateArchive() bool {
	return filepath.Clean(l.archiveDir()) != filepath.Clean(l.Dir)
}

// ArchivePath is the archive partition's file of message uid (the data
// path when there is no archive partition): Cyrus mboxname_archivepath.
func (l *Location) ArchivePath(uid uint32) string {
	return mboxname.MessagePath(l.archiveDir(), uid)
}

// RecordPath is the file of a record: ArchivePath if it is archived,
// MessagePath otherwise (Cyrus mailbox_record_fname).
func (l *Location) RecordPath(r *index.Record) string {
	if r.InternalFlags&index.InternalArchived != 0 {
		return l.ArchivePath(r.UID)
	}
	return l.MessagePath(r.UID)
}

// archiveCachePath is the cyrus.cache of archived records.
func (l *Location) archiveCachePath() string {
	return filepath.Join(l.archiveDir(), index.CacheFile)
}

// cachePathOf is the cache file holding a record's entry.
func (l *Location) cachePathOf(r *index.Record) string {
	if r.InternalFlags&index.InternalArchived != 0 && l.separateArchive() {
		return l.archiveCachePath()
	}
	return l.cachePath()
}

// cacheFor returns the cache reader of m for record r (the data
// partition's or the archive's), opening it on first use.
func (mb *Mailbox) cacheFor(m *indexMap, gen uint32, r *index.Record, rollForward bool) (*cacheReader, error) {
	slot := &m.cache
	path := mb.loc.cachePath()
	if r.InternalFlags&index.InternalArchived != 0 && mb.loc.separateArchive() {
		slot, path = &m.acache, mb.loc.archiveCachePath()
	}
	if *slot != nil {
		return *slot, nil
	}
	f, err := openCacheGen(path, gen, os.O_RDONLY, rollForward)
	if err != nil {
		return nil, err
	}
	*slot = &cacheReader{f: f, gen: gen, path: path}
	return *slot, nil
}

// openRecordFile opens the file of message uid, looking in the archive
// directory when it is not in the data directory (the record may have
// been archived since the caller read it; the other name goes only when
// nobody has the mailbox open).
func (mb *Mailbox) openRecordFile(uid uint32) (*os.File, error) {
	f, err := fileio.Open(mb.loc.MessagePath(uid), os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) && mb.loc.separateArchive() {
		f, err = fileio.Open(mb.loc.ArchivePath(uid), os.O_RDONLY, 0)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", mb.loc.MessagePath(uid), ErrExpunged)
	}
	return f, err
}

// removeRecordFiles removes what a record no longer needs (Cyrus
// mailbox_record_cleanup): both names of an UNLINKED record, otherwise
// the name it does not use (the old place of a message that was archived
// or brought back).
func (tx *Tx) removeRecordFiles(r *index.Record) error {
	loc := &tx.mb.loc
	var paths []string
	switch {
	case r.Unlinked():
		paths = append(paths, loc.MessagePath(r.UID))
		if loc.separateArchive() {
			paths = append(paths, loc.ArchivePath(r.UID))
		}
	case !loc.separateArchive():
		return nil
	case r.InternalFlags&index.InternalArchived != 0:
		paths = append(paths, loc.MessagePath(r.UID))
	default:
		paths = append(paths, loc.ArchivePath(r.UID))
	}
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// ArchiveResult counts what Tx.Archive moved.
type ArchiveResult struct {
	Archived, Unarchived int
}

// Archive moves the files of the unexpunged messages between the data
// and the archive partition (Cyrus mailbox_archive): a record for which
// want returns true ends up ARCHIVED, one for which it returns false ends
// up in the data partition. The records are rewritten silently (no new
// modseq) with NEEDS_CLEANUP; the old names are removed by the cleanup
// pass of Close or Cleanup after the commit, and when the cache entries
// moved between cache files, the index is flagged NEEDS_REPACK so that
// the next repack drops the stale ones. A message whose file cannot be
// placed is left where it is (and reported in the error, after the
// others are done).
func (tx *Tx) Archive(want func(r *index.Record) bool) (ArchiveResult, error) {
	var res ArchiveResult
	if err := tx.check(); err != nil {
		return res, err
	}
	loc := &tx.mb.loc
	sep := loc.separateArchive()
	var caches archiveCaches
	defer caches.close()
	var firstErr error
	n := tx.h.NumRecords
	for recno := uint32(1); recno <= n; recno++ {
		r, err := tx.record(recno)
		if err != nil {
			return res, err
		}
		if r.Expunged() {
			continue
		}
		archived := r.InternalFlags&index.InternalArchived != 0
		toArchive := want(&r)
		if toArchive == archived {
			if r.InternalFlags&index.InternalNeedsCleanup != 0 {
				// a move whose commit crashed before the header: the
				// cleanup pass is still owed
				tx.h.Options |= index.OptNeedsUnlink
			}
			continue
		}
		nr := r
		if toArchive {
			nr.InternalFlags |= index.InternalArchived | index.InternalNeedsCleanup
		} else {
			nr.InternalFlags &^= index.InternalArchived
			nr.InternalFlags |= index.InternalNeedsCleanup
		}
		if sep {
			if err := tx.moveFile(&r, &nr); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			off, err := caches.move(tx, &r, &nr)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			nr.CacheOffset = off
		}
		if err := tx.rewrite(recno, nr, true); err != nil {
			return res, err
		}
		tx.h.Options |= index.OptNeedsUnlink
		if toArchive {
			res.Archived++
		} else {
			res.Unarchived++
		}
	}
	crashPoint("archive:after-place")
	if err := caches.sync(); err != nil {
		return res, err
	}
	crashPoint("archive:after-cache")
	if caches.moved {
		tx.h.Options |= index.OptNeedsRepack
	}
	return res, firstErr
}

// moveFile places the file of r at the place of nr (link, or copy with
// its mtime kept and fsync), to be made durable with the commit and
// removed if the transaction aborts.
func (tx *Tx) moveFile(r, nr *index.Record) error {
	loc := &tx.mb.loc
	src, dst := loc.RecordPath(r), loc.RecordPath(nr)
	if err := ensureDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("archive uid %d: %w", r.UID, err)
	}
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("archive uid %d: %w", r.UID, err)
	}
	copied, err := placeFile(src, dst, true, st.ModTime())
	if err != nil {
		return fmt.Errorf("archive uid %d: %w", r.UID, err)
	}
	if copied {
		if err := fsyncFile(dst); err != nil {
			os.Remove(dst)
			return fmt.Errorf("archive uid %d: %w", r.UID, err)
		}
	}
	tx.newFiles = append(tx.newFiles, dst)
	tx.syncDirs[filepath.Dir(dst)] = true
	return nil
}

// archiveCaches are the two cache files while Archive moves entries
// between them: readers of the current generation and append handles.
type archiveCaches struct {
	read  [2]*cacheReader // 0: data, 1: archive
	write [2]*cacheAppend
	moved bool
}

type cacheAppend struct {
	f    *os.File
	path string
	off  int64
	buf  []byte
}

func slotOf(r *index.Record) int {
	if r.InternalFlags&index.InternalArchived != 0 {
		return 1
	}
	return 0
}

func (l *Location) cachePathSlot(i int) string {
	if i == 1 {
		return l.archiveCachePath()
	}
	return l.cachePath()
}

// move copies r's cache entry to the cache file of nr and returns its
// offset there.
func (c *archiveCaches) move(tx *Tx, r, nr *index.Record) (uint64, error) {
	loc := &tx.mb.loc
	from, to := slotOf(r), slotOf(nr)
	if c.read[from] == nil {
		path := loc.cachePathSlot(from)
		f, err := openCacheGen(path, tx.h.Generation, os.O_RDONLY, true)
		if err != nil {
			return 0, fmt.Errorf("archive uid %d: %w", r.UID, err)
		}
		c.read[from] = &cacheReader{f: f, gen: tx.h.Generation, path: path}
	}
	e, err := c.read[from].entry(r.CacheOffset, r.CacheCRC)
	if err != nil {
		return 0, fmt.Errorf("archive uid %d: %w", r.UID, err)
	}
	if c.write[to] == nil {
		w, err := openCacheAppend(loc.cachePathSlot(to), tx.h.Generation)
		if err != nil {
			return 0, fmt.Errorf("archive uid %d: %w", r.UID, err)
		}
		c.write[to] = w
		tx.syncDirs[filepath.Dir(w.path)] = true
	}
	w := c.write[to]
	off := w.off + int64(len(w.buf))
	w.buf = append(w.buf, e.Raw...)
	c.moved = true
	return uint64(off), nil
}

// openCacheAppend opens (creating it with the generation header) a cache
// file for appending at its aligned end.
func openCacheAppend(path string, gen uint32) (*cacheAppend, error) {
	f, err := openCacheGen(path, gen, os.O_RDWR, true)
	if errors.Is(err, os.ErrNotExist) {
		f, err = fileio.Open(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			if _, err = f.WriteAt(index.CacheFileHeader(gen), 0); err != nil {
				f.Close()
				return nil, err
			}
		}
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &cacheAppend{f: f, path: path, off: (st.Size() + 3) &^ 3}, nil
}

// sync writes and fsyncs the appended entries: they are on disk before
// the records that point to them.
func (c *archiveCaches) sync() error {
	for _, w := range c.write {
		if w == nil || len(w.buf) == 0 {
			continue
		}
		if _, err := w.f.WriteAt(w.buf, w.off); err != nil {
			return fmt.Errorf("write %s: %w", w.path, err)
		}
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("fsync %s: %w", w.path, err)
		}
		w.off += int64(len(w.buf))
		w.buf = nil
	}
	return nil
}

func (c *archiveCaches) close() {
	for _, r := range c.read {
		if r != nil {
			r.close()
		}
	}
	for _, w := range c.write {
		if w != nil {
			w.f.Close()
		}
	}
}

// repackArchive writes the archive's cyrus.cache.NEW during a repack:
// the entries of the archived records, when the archive has a directory
// of its own (Cyrus writes one .NEW per cache file in use and removes a
// cache file no record uses any more).
type repackArchive struct {
	loc      *Location
	gen, ngn uint32
	old      *cacheReader
	f        *os.File
	w        *bufio.Writer
	off      int64
	// renamed: the new index is in place, so a .NEW left now is what
	// the next locker rolls forward, not garbage
	renamed bool
}

// handles reports whether r's entry goes to the archive cache.
func (a *repackArchive) handles(r *index.Record) bool {
	return r.InternalFlags&index.InternalArchived != 0 && a.loc.separateArchive()
}

func (a *repackArchive) newPath() string { return a.loc.archiveCachePath() + index.NewSuffix }

// copy moves r's entry into the new archive cache and points r at it.
func (a *repackArchive) copy(r *index.Record) error {
	if a.old == nil {
		path := a.loc.archiveCachePath()
		f, err := openCacheGen(path, a.gen, os.O_RDONLY, true)
		if err != nil {
			return fmt.Errorf("repack uid %d: %w", r.UID, err)
		}
		a.old = &cacheReader{f: f, gen: a.gen, path: path}
	}
	e, err := a.old.entry(r.CacheOffset, r.CacheCRC)
	if err != nil {
		return fmt.Errorf("repack uid %d: %w", r.UID, err)
	}
	if a.f == nil {
		f, err := fileio.Open(a.newPath(), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			return err
		}
		a.f, a.w = f, bufio.NewWriterSize(f, 1<<16)
		if _, err := a.w.Write(index.CacheFileHeader(a.ngn)); err != nil {
			return err
		}
		a.off = index.CacheFileHeaderSize
	}
	if _, err := a.w.Write(e.Raw); err != nil {
		return err
	}
	r.CacheOffset = uint64(a.off)
	a.off += int64(len(e.Raw))
	return nil
}

// sync makes the new archive cache durable (before the index rename).
func (a *repackArchive) sync() error {
	if a.f == nil {
		return nil
	}
	if err := a.w.Flush(); err != nil {
		return err
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", a.newPath(), err)
	}
	return nil
}

// install renames the new archive cache into place (after the index
// rename: a crash between is rolled forward by openCacheGen), or removes
// an archive cache no record uses.
func (a *repackArchive) install() error {
	if !a.loc.separateArchive() {
		return nil
	}
	if a.f == nil {
		if err := os.Remove(a.loc.archiveCachePath()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.Rename(a.newPath(), a.loc.archiveCachePath()); err != nil {
		return err
	}
	return fsyncDir(a.loc.archiveDir())
}

// close releases the files; with failed set, the .NEW file goes.
func (a *repackArchive) close(failed bool) {
	if a.old != nil {
		a.old.close()
	}
	if a.f != nil {
		a.f.Close()
		if failed && !a.renamed {
			os.Remove(a.newPath())
		}
	}
}

// copyArchiveCache copies the archive's cyrus.cache for CopyFiles: to
// dst's archive directory, or, when dst has none (no archive partition
// there), it cannot hold archived records whose cache entries are in a
// separate file, which is refused.
func (tx *Tx) copyArchiveCache(dst *Location) error {
	src := &tx.mb.loc
	if !src.separateArchive() {
		return nil
	}
	from := src.archiveCachePath()
	if _, err := os.Stat(from); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if !dst.separateArchive() {
		return fmt.Errorf("mailbox %s: archived messages cannot move to partition %q, which has no archive partition", src.Name, dst.Partition)
	}
	if err := ensureDir(dst.ArchiveDir); err != nil {
		return err
	}
	to := dst.archiveCachePath()
	os.Remove(to)
	return copyFileKeepTime(from, to)
}

// WithArchive returns loc with its archive directory filled from
// opts.ArchiveRoots, as Open does: for tools that work on a mailbox's
// files without opening it (reconstruct).
func WithArchive(loc Location, opts Options) Location { return withArchive(loc, opts.ArchiveRoots) }

// ArchiveCachePath is the cyrus.cache of the archived records (the data
// directory's cyrus.cache when there is no archive partition).
func (l *Location) ArchiveCachePath() string {
	if !l.separateArchive() {
		return l.cachePath()
	}
	return l.archiveCachePath()
}
