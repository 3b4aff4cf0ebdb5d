package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"gyrus/lib/fileio"
	"gyrus/lib/lockfile"
	"gyrus/lib/log"
	"gyrus/lib/mailbox/index"
)

// Tx is a write transaction: the owner's namespace lock and the index
// lock held exclusive from Begin to Commit or Abort. Nothing reaches the
// index, cyrus.cache or cyrus.annotations before Commit; message files of
// appended messages are placed at Append time and removed again by
// Abort.
type Tx struct {
	mb  *Mailbox
	f   *os.File // cyrus.index, exclusive lock
	old index.Header
	h   index.Header
	mh  index.MailboxHeader
	// header (cyrus.header) needs rewriting
	mhDirty bool

	changes map[uint32]*index.Record // recno -> rewritten record
	appends []index.Record           // records past old.NumRecords

	// The appended records as Flush last wrote them past the old end of
	// cyrus.index (the old header does not count them), and how many of
	// them a completed sync has made durable with the file's new size:
	// when that is all of them, the commit's remaining writes are
	// overwrites, and it syncs them as such (fileio.SyncOverwrite).
	recordsWritten []byte
	recordsSynced  int

	// cache entries to append at commit, in order, starting at cacheBase
	cacheF    *os.File
	cacheBase int64
	cacheBuf  []byte
	// how much of cacheBuf Flush has written, and synced
	cacheWritten, cacheSynced int
	cacheReady                bool

	newFiles  []string        // message files created (removed on abort)
	syncDirs  map[string]bool // data directories to fsync at commit
	syncFiles []fileToSync    // new message files not known to be on disk

	modseqDirty bool
	lastUpdated uint32
	appended    int

	usageBefore  Usage
	quotaPending Usage

	annots       []annotWrite // buffered cyrus.annotations writes
	annotTouched []uint32     // recnos whose annotations changed (touchAnnotated)

	headerWritten bool // the final index header write was attempted
	done          bool
}

// Begin starts a write transaction. It waits for the owner's namespace
// lock (letting go of the name lock meanwhile, as Cyrus does), then for
// the exclusive index lock, and re-reads the index header and
// cyrus.header. A transaction must end with Commit or Abort.
func (mb *Mailbox) Begin() (*Tx, error) {
	return mb.begin(false)
}

func (mb *Mailbox) begin(allowDeleted bool) (*Tx, error) {
	if mb.closed {
		return nil, ErrClosed
	}
	if mb.mode != ReadWrite {
		return nil, ErrReadOnly
	}
	if mb.tx != nil {
		return nil, ErrTxOpen
	}
	if err := mb.locks.lockUser(lockfile.Exclusive, lockfile.Shared, true); err != nil {
		return nil, fmt.Errorf("lock %s: %w", mb.loc.Name, err)
	}
	f, err := lockfile.OpenLocked(mb.loc.indexPath(), os.O_RDWR, 0, lockfile.Exclusive)
	if err != nil {
		mb.locks.unlockUser()
		if errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("%s: %w", mb.loc.indexPath(), ErrNotFound)
		}
		return nil, err
	}
	if err := mb.loadState(f); err != nil {
		f.Close()
		mb.locks.unlockUser()
		return nil, err
	}
	if !allowDeleted && mb.hdr.Options&index.OptMailboxDeleted != 0 {
		f.Close()
		mb.locks.unlockUser()
		return nil, ErrDeleted
	}
	if mb.hdr.MinorVersion != index.MinorVersion && mb.hdr.MinorVersion != 16 {
		f.Close()
		mb.locks.unlockUser()
		return nil, fmt.Errorf("%s: minor version %d: %w", mb.loc.indexPath(), mb.hdr.MinorVersion, index.ErrVersion)
	}
	tx := &Tx{mb: mb, f: f, old: mb.hdr, h: mb.hdr, mh: *mb.mh,
		changes: map[uint32]*index.Record{}, syncDirs: map[string]bool{}}
	tx.usageBefore = usageOf(&tx.h)
	mb.tx = tx
	if tx.h.Options&index.OptGyrusCommitting != 0 {
		if err := tx.recoverCommit(); err != nil {
			tx.Abort()
			return nil, err
		}
	}
	return tx, nil
}

// recoverCommit mends the header after a Gyrus process died in the
// middle of a commit (OptGyrusCommitting set): counters, CRCs,
// highestmodseq and the header file CRC are recomputed from the records
// and annotations. The mailbox-level part of quota_annot_used is not
// known here (it is in annotations.db): the old total is kept unless the
// message annotations alone are more.
func (tx *Tx) recoverCommit() error {
	old := tx.h.QuotaAnnotUsed
	if err := tx.Recalc(0); err != nil {
		return err
	}
	if tx.h.QuotaAnnotUsed < old {
		tx.h.QuotaAnnotUsed = old
	}
	tx.h.Options &^= index.OptGyrusCommitting
	tx.usageBefore = usageOf(&tx.old)
	log.Warn("mailbox_commit_recovered", "mailbox", tx.mb.loc.Name, "index", tx.mb.loc.indexPath())
	return nil
}

// Header returns the transaction's view of the index header, with the
// changes made so far.
func (tx *Tx) Header() index.Header { return tx.h }

// Mailbox returns the handle the transaction belongs to.
func (tx *Tx) Mailbox() *Mailbox { return tx.mb }

// Location of the mailbox.
func (tx *Tx) Location() Location { return tx.mb.loc }

func (tx *Tx) check() error {
	if tx.done {
		return ErrClosed
	}
	return nil
}

// numRecords is the record count including appends of this transaction.
func (tx *Tx) numRecords() uint32 { return tx.h.NumRecords }

// record returns record recno as the transaction sees it (a copy).
func (tx *Tx) record(recno uint32) (index.Record, error) {
	if recno == 0 || recno > tx.h.NumRecords {
		return index.Record{}, fmt.Errorf("%s: record %d out of range (1..%d)", tx.mb.loc.indexPath(), recno, tx.h.NumRecords)
	}
	if recno > tx.old.NumRecords {
		return tx.appends[recno-tx.old.NumRecords-1], nil
	}
	if r, ok := tx.changes[recno]; ok {
		return *r, nil
	}
	return tx.mb.m.record(&tx.old, recno)
}

// recordUID reads just the UID of record recno.
func (tx *Tx) recordUID(recno uint32) uint32 {
	if recno > tx.old.NumRecords {
		return tx.appends[recno-tx.old.NumRecords-1].UID
	}
	return index.RecordUID(tx.mb.m.raw(&tx.old, recno))
}

// findUID returns the recno of uid (binary search: records are in UID
// order), 0 if there is none.
func (tx *Tx) findUID(uid uint32) uint32 {
	n := int(tx.h.NumRecords)
	i := sort.Search(n, func(i int) bool { return tx.recordUID(uint32(i+1)) >= uid })
	if i < n && tx.recordUID(uint32(i+1)) == uid {
		return uint32(i + 1)
	}
	return 0
}

// Record returns the record of uid as the transaction sees it.
func (tx *Tx) Record(uid uint32) (index.Record, error) {
	if err := tx.check(); err != nil {
		return index.Record{}, err
	}
	recno := tx.findUID(uid)
	if recno == 0 {
		return index.Record{}, fmt.Errorf("uid %d: %w", uid, ErrNotFound)
	}
	return tx.record(recno)
}

// ForEach calls fn for every record (expunged ones included) in UID
// order, as the transaction sees them. fn gets a copy.
func (tx *Tx) ForEach(fn func(r index.Record) error) error {
	if err := tx.check(); err != nil {
		return err
	}
	for recno := uint32(1); recno <= tx.h.NumRecords; recno++ {
		r, err := tx.record(recno)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// nextModSeq is Cyrus's mailbox_modseq_dirty: every change gets a modseq
// of its own, one above the previous; the first change of a transaction
// also fixes the last_updated time of all its changes.
func (tx *Tx) nextModSeq() uint64 {
	if !tx.modseqDirty {
		tx.modseqDirty = true
		tx.lastUpdated = tx.mb.opts.nowUnix()
	}
	tx.h.HighestModSeq++
	return tx.h.HighestModSeq
}

// CurrentModSeq is the highest modseq so far in this transaction.
func (tx *Tx) CurrentModSeq() uint64 { return tx.h.HighestModSeq }

// BumpModSeq takes a new modseq without changing a record (Cyrus does it
// for mailbox-level annotation changes and renames).
func (tx *Tx) BumpModSeq() uint64 { return tx.nextModSeq() }

// counts adds (sign +1) or removes (-1) a record's contribution to the
// header counters and sync CRCs (Cyrus header_update_counts + the CRC
// updates of mailbox_index_update_counts).
func (tx *Tx) counts(r *index.Record, add bool) {
	tx.h.SyncCRCBasic ^= index.CRCBasic(r, &tx.mh.Flags)
	tx.h.SyncCRCAnnot ^= index.CRCVirtAnnot(r)
	if r.Expunged() {
		return
	}
	d := uint32(1)
	if !add {
		d = ^uint32(0) // -1
	}
	if r.SystemFlags&index.FlagAnswered != 0 {
		tx.h.Answered += d
	}
	if r.SystemFlags&index.FlagFlagged != 0 {
		tx.h.Flagged += d
	}
	if r.SystemFlags&index.FlagDeleted != 0 {
		tx.h.Deleted += d
	}
	if r.SystemFlags&index.FlagSeen == 0 {
		tx.h.Unseen += d
	}
	if add {
		tx.h.Exists++
		tx.h.QuotaMailboxUsed += uint64(r.Size)
	} else {
		if tx.h.Exists > 0 {
			tx.h.Exists--
		}
		if tx.h.QuotaMailboxUsed > uint64(r.Size) {
			tx.h.QuotaMailboxUsed -= uint64(r.Size)
		} else {
			tx.h.QuotaMailboxUsed = 0
		}
	}
}

// rewrite replaces record recno by r (Cyrus mailbox_rewrite_index_record):
// the UID and GUID must not change, an expunged record cannot come back,
// counters and CRCs follow, and unless silent the record gets a new
// modseq and last_updated.
func (tx *Tx) rewrite(recno uint32, r index.Record, silent bool) error {
	old, err := tx.record(recno)
	if err != nil {
		return err
	}
	if old.UID != r.UID || old.GUID != r.GUID {
		return fmt.Errorf("mailbox: rewrite of record %d changes its uid or guid", recno)
	}
	if old.Expunged() && !r.Expunged() {
		return fmt.Errorf("mailbox: uid %d: an expunged record cannot be restored in place (unexpunge appends a copy)", r.UID)
	}
	mode := tx.mb.opts.ExpungeMode
	if mode != ExpungeDelayed && r.Expunged() {
		r.InternalFlags |= index.InternalUnlinked | index.InternalNeedsCleanup
	}
	if !silent {
		r.ModSeq = tx.nextModSeq()
		r.LastUpdated = tx.lastUpdated
	}
	if r.ModSeq < old.ModSeq {
		r.ModSeq = old.ModSeq
	}
	if r.Unlinked() {
		if mode == ExpungeImmediate {
			tx.h.Options |= index.OptNeedsRepack
		}
		tx.h.Options |= index.OptNeedsUnlink
	}
	tx.counts(&old, false)
	tx.counts(&r, true)
	if r.Expunged() && !old.Expunged() {
		if tx.h.FirstExpunged == 0 || tx.h.FirstExpunged > r.LastUpdated {
			tx.h.FirstExpunged = r.LastUpdated
		}
		if err := tx.annotationsGone(r.UID); err != nil {
			return err
		}
	}
	if recno > tx.old.NumRecords {
		tx.appends[recno-tx.old.NumRecords-1] = r
	} else {
		rc := r
		tx.changes[recno] = &rc
	}
	return nil
}

// appendRecord adds r at the end (Cyrus mailbox_append_index_record).
func (tx *Tx) appendRecord(r index.Record, silent bool) (index.Record, error) {
	if r.UID <= tx.h.LastUID {
		return r, fmt.Errorf("mailbox: append uid %d not above last uid %d", r.UID, tx.h.LastUID)
	}
	if r.Size == 0 {
		return r, errors.New("mailbox: append of an empty message")
	}
	if r.GUID == ([20]byte{}) {
		return r, errors.New("mailbox: append without a GUID")
	}
	if !silent {
		r.ModSeq = tx.nextModSeq()
		if r.CreatedModSeq == 0 || r.CreatedModSeq > r.ModSeq {
			r.CreatedModSeq = r.ModSeq
		}
		r.LastUpdated = tx.lastUpdated
		if r.SaveDate == 0 {
			r.SaveDate = tx.lastUpdated
		}
	}
	tx.counts(&r, true)
	tx.h.NumRecords++
	tx.h.LastUID = r.UID
	tx.appends = append(tx.appends, r)
	if r.Expunged() && (tx.h.FirstExpunged == 0 || tx.h.FirstExpunged > r.LastUpdated) {
		tx.h.FirstExpunged = r.LastUpdated
	}
	return r, nil
}

// openCacheForAppend opens (creating it) cyrus.cache for appending.
func (tx *Tx) openCacheForAppend() error {
	if tx.cacheReady {
		return nil
	}
	path := tx.mb.loc.cachePath()
	f, err := openCacheGen(path, tx.h.Generation, os.O_RDWR, true)
	if errors.Is(err, os.ErrNotExist) {
		f, err = fileio.Open(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			if _, err = f.WriteAt(index.CacheFileHeader(tx.h.Generation), 0); err != nil {
				f.Close()
				return err
			}
			tx.syncDirs[tx.mb.loc.MetaDir] = true
		}
	}
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	// A crash in the middle of an earlier cache write can leave a size
	// that is not a multiple of 4; entries start aligned, so start after
	// the torn bytes (they are garbage nobody points to).
	tx.cacheF, tx.cacheBase, tx.cacheReady = f, (st.Size()+3)&^3, true
	return nil
}

// addCache queues an encoded entry and returns its future offset.
func (tx *Tx) addCache(entry []byte) (uint64, error) {
	if err := tx.openCacheForAppend(); err != nil {
		return 0, err
	}
	off := tx.cacheBase + int64(len(tx.cacheBuf))
	tx.cacheBuf = append(tx.cacheBuf, entry...)
	return uint64(off), nil
}

// Abort throws the transaction away: the message files it created are
// removed, nothing else was written.
func (tx *Tx) Abort() error {
	if tx.done {
		return nil
	}
	for _, p := range tx.newFiles {
		os.Remove(p)
	}
	tx.finish()
	return nil
}

func (tx *Tx) finish() {
	tx.done = true
	if tx.cacheF != nil {
		tx.cacheF.Close()
	}
	tx.f.Close()
	tx.mb.locks.unlockUser()
	tx.mb.tx = nil
}

// dirty reports whether Commit has anything to write.
func (tx *Tx) dirty() bool {
	return tx.mhDirty || len(tx.changes) > 0 || len(tx.appends) > 0 || len(tx.annots) > 0 || tx.h != tx.old
}

// Commit makes the transaction durable, in this order: the new message
// files, the directories that gained entries, the new cache entries and
// the appended index records (written past the end the old header
// knows) are made durable by one Flush; the quota hook is charged with
// the usage change; the per-message annotations are committed;
// cyrus.header is rewritten (.NEW, fsync, rename, fsync directory) if
// it changed; the changed records are written in place; finally the
// index header, and what of cyrus.index was overwritten since the Flush
// is synced (fileio.SyncOverwrite: its pages, then a device flush shared
// with concurrent commits). A crash before the header write leaves the
// old header, which does not count the appended records: they are not
// there.
func (tx *Tx) Commit() error {
	if tx.done {
		return ErrClosed
	}
	if !tx.dirty() {
		tx.finish()
		return nil
	}
	err := tx.commit()
	if err != nil {
		if tx.headerWritten {
			// the new header may be visible already (only its fsync
			// failed): the message files must stay
			tx.newFiles = nil
		}
		tx.Abort()
		tx.mb.hdr = tx.old
		return err
	}
	tx.finish()
	return nil
}

func (tx *Tx) commit() error {
	mb := tx.mb
	if err := tx.touchAnnotated(); err != nil {
		return err
	}
	if tx.appended > 0 {
		tx.h.LastAppendDate = mb.opts.nowUnix()
	}
	if err := Flush(tx); err != nil {
		return err
	}
	crashPoint("commit:after-cache")
	// From here on, things are written that the old header does not
	// describe (annotations, the header file, records in place): mark
	// the header so that a process that dies before the final header
	// write leaves a sign, and the next Begin recomputes the counters.
	// (No fsync: this covers process crashes; after a power loss Cyrus's
	// reconstruct is the remedy, as for Cyrus itself.)
	tx.h.Options &^= index.OptGyrusCommitting
	if len(tx.changes) > 0 || len(tx.annots) > 0 || tx.mhDirty {
		mark := tx.old
		mark.Options |= index.OptGyrusCommitting
		if _, err := tx.f.WriteAt(mark.Bytes(), 0); err != nil {
			return fmt.Errorf("write %s header: %w", mb.loc.indexPath(), err)
		}
	}
	if err := tx.chargeQuota(); err != nil {
		return err
	}
	if err := tx.commitAnnotations(); err != nil {
		return err
	}
	crashPoint("commit:after-annotations")
	// a header CRC left stale by a crash is mended by any commit
	tx.h.HeaderFileCRC = mb.mhCRC
	if tx.mhDirty {
		data := tx.mh.Marshal()
		if err := writeFileSync(mb.loc.headerPath(), data); err != nil {
			return err
		}
		if err := fsyncDir(mb.loc.MetaDir); err != nil {
			return err
		}
		tx.h.HeaderFileCRC = index.FileCRC(data)
	}
	crashPoint("commit:after-header-file")
	// changed records in recno order, then the appended ones in one write
	recnos := make([]uint32, 0, len(tx.changes))
	for recno := range tx.changes {
		recnos = append(recnos, recno)
	}
	sort.Slice(recnos, func(i, j int) bool { return recnos[i] < recnos[j] })
	buf := make([]byte, index.RecordSize)
	for _, recno := range recnos {
		tx.changes[recno].Marshal(buf)
		if _, err := tx.f.WriteAt(buf, tx.old.RecordOffset(recno)); err != nil {
			return fmt.Errorf("write %s record %d: %w", mb.loc.indexPath(), recno, err)
		}
		crashPoint("commit:mid-records")
	}
	if err := tx.writeRecords(); err != nil {
		return err
	}
	crashPoint("commit:after-records")
	tx.headerWritten = true
	if _, err := tx.f.WriteAt(tx.h.Bytes(), 0); err != nil {
		return fmt.Errorf("write %s header: %w", mb.loc.indexPath(), err)
	}
	crashPoint("commit:after-index-header")
	if tx.recordsSynced == len(tx.appends) {
		// Flush made the appended records and the file's size durable:
		// everything written since overwrote durable bytes
		if err := fileio.SyncOverwrite(tx.f); err != nil {
			return err
		}
	} else if err := tx.f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", mb.loc.indexPath(), err)
	}
	// the handle now knows the new state; cyrus.header, which nobody
	// but this transaction could change, is read again only if it did
	if err := mb.loadIndex(tx.f); err != nil {
		return err
	}
	if tx.mhDirty {
		return mb.loadMailboxHeader()
	}
	return nil
}

// writeRecords writes the appended records past the old end of
// cyrus.index, unless they are there as they are now.
func (tx *Tx) writeRecords() error {
	if len(tx.appends) == 0 {
		return nil
	}
	ab := make([]byte, len(tx.appends)*index.RecordSize)
	for i := range tx.appends {
		tx.appends[i].Marshal(ab[i*index.RecordSize:])
	}
	if bytes.Equal(ab, tx.recordsWritten) {
		return nil
	}
	if _, err := tx.f.WriteAt(ab, tx.old.RecordOffset(tx.old.NumRecords+1)); err != nil {
		tx.recordsWritten = nil
		return fmt.Errorf("write %s records %d..: %w", tx.mb.loc.indexPath(), tx.old.NumRecords+1, err)
	}
	tx.recordsWritten = ab
	return nil
}

// recordsUnsynced tells whether appended records were written that no
// sync has covered yet.
func (tx *Tx) recordsUnsynced() bool {
	return len(tx.recordsWritten)/index.RecordSize > tx.recordsSynced
}

// fileToSync is a new message file that must reach the disk before the
// index says it is there.
type fileToSync struct {
	path       string
	staged     *Staged // when it is a link to this staged file
	stagedPath string
}

// Flush makes durable what the indexes of the transactions txs are
// about to point at: their new message files, the directories that
// gained entries (the data directories, and the metadata directory when
// cyrus.cache was created), their new cache entries and their appended
// index records (with the index's new size, so that the commit that
// follows only overwrites). Nothing orders these among themselves, only
// before each index header, so one sync of their file systems covers
// them all (fileio.SyncFS: syncfs(2) and a flush), shared with whatever
// else in the process syncs at the same time: the group commit of
// concurrent deliveries and appends. When much else is waiting to be
// written, an fsync of each instead (syncNew).
//
// Commit flushes what is left itself; a caller that flushes first (lmtpd,
// for every mailbox of a batch at once, after it marked deliver.db)
// leaves Commit only the index header to write and sync.
func Flush(txs ...*Tx) error { return FlushWith(nil, txs...) }

// FlushWith is Flush that also makes the files also durable (written
// before the call): lmtpd's deliver.db marks, committed without a sync
// of their own, ride on the same sync of the file system.
func FlushWith(also []string, txs ...*Tx) error {
	var dirs []string
	for _, p := range also {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, tx := range txs {
		if tx.done {
			return ErrClosed
		}
		if n := len(tx.cacheBuf); n > tx.cacheWritten {
			if _, err := tx.cacheF.WriteAt(tx.cacheBuf[tx.cacheWritten:], tx.cacheBase+int64(tx.cacheWritten)); err != nil {
				return fmt.Errorf("write %s: %w", tx.mb.loc.cachePath(), err)
			}
			tx.cacheWritten = n
		}
		if tx.cacheWritten > tx.cacheSynced {
			dirs = append(dirs, tx.mb.loc.MetaDir)
		}
		if err := tx.writeRecords(); err != nil {
			return err
		}
		if tx.recordsUnsynced() {
			dirs = append(dirs, tx.mb.loc.MetaDir)
		}
		for dir := range tx.syncDirs { // the new files' directories among them
			dirs = append(dirs, dir)
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	crashPoint("commit:after-cache-write")
	if err := syncNew(txs, dirs, also); err != nil {
		return err
	}
	for _, tx := range txs {
		tx.cacheSynced = tx.cacheWritten
		tx.recordsSynced = len(tx.recordsWritten) / index.RecordSize
		// a staged file is synced once, by the first mailbox it goes to
		for _, f := range tx.syncFiles {
			if f.staged != nil {
				f.staged.markSynced(f.stagedPath)
			}
		}
		tx.syncFiles = nil
		clear(tx.syncDirs)
	}
	return nil
}

// syncNew makes the new files, the directories dirs, the files also (in
// dirs too) and the written cache entries of txs durable: one shared
// sync of their file systems while that is cheap (fileio.SyncFSCheap),
// else an fsync of each, all in flight at once so that the device merges
// their cache flushes.
func syncNew(txs []*Tx, dirs, also []string) error {
	if fileio.SyncFSCheap() && !forceFileSyncs {
		return fileio.SyncFS(dirs...)
	}
	var syncs []func() error
	for _, p := range also {
		syncs = append(syncs, func() error { return fsyncFile(p) })
	}
	dirs = dirs[len(also):] // a file's own directory needs no sync for it
	for _, tx := range txs {
		for _, f := range tx.syncFiles {
			syncs = append(syncs, func() error { return fsyncFile(f.path) })
		}
		if tx.cacheWritten > tx.cacheSynced {
			syncs = append(syncs, syncOpen(tx.cacheF, tx.mb.loc.cachePath()))
		}
		if tx.recordsUnsynced() {
			syncs = append(syncs, syncOpen(tx.f, tx.mb.loc.indexPath()))
		}
	}
	slices.Sort(dirs)
	for _, dir := range slices.Compact(dirs) {
		syncs = append(syncs, func() error { return fsyncDir(dir) })
	}
	return syncAll(syncs)
}

// forceFileSyncs has syncNew fsync file by file (tests).
var forceFileSyncs bool

// maxSyncsInFlight bounds the fsyncs syncAll has in flight, each holding
// an OS thread while it waits for the disk.
const maxSyncsInFlight = 8

// syncAll runs the fsyncs fns, up to maxSyncsInFlight at once (the
// first in the calling goroutine), and returns their errors.
func syncAll(fns []func() error) error {
	switch len(fns) {
	case 0:
		return nil
	case 1:
		return fns[0]()
	}
	errs := make([]error, len(fns))
	var next atomic.Int64
	worker := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(fns) {
				return
			}
			errs[i] = fns[i]()
		}
	}
	var wg sync.WaitGroup
	for range min(len(fns), maxSyncsInFlight) - 1 {
		wg.Go(worker)
	}
	worker()
	wg.Wait()
	return errors.Join(errs...)
}

// syncOpen is the fsync of f, open as path, for syncAll.
func syncOpen(f *os.File, path string) func() error {
	return func() error {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("fsync %s: %w", path, err)
		}
		return nil
	}
}

func fsyncFile(path string) error {
	f, err := fileio.Open(path, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", path, err)
	}
	return nil
}

// crashHook, when set (tests only), is called at the named points of a
// commit and a repack; the crash tests kill the process there.
var crashHook func(point string)

func crashPoint(point string) {
	if crashHook != nil {
		crashHook(point)
	}
}

// chargeQuota reports the usage change of the transaction to the quota
// hook.
func (tx *Tx) chargeQuota() error {
	q := tx.mb.opts.Quota
	root := tx.mh.QuotaRoot
	if q == nil || !tx.mh.HasQuotaRoot || root == "" {
		return nil
	}
	delta := usageOf(&tx.h).Sub(tx.usageBefore)
	if delta.IsZero() {
		return nil
	}
	if err := q.Charge(root, delta); err != nil {
		return fmt.Errorf("quota %s: %w", root, err)
	}
	return nil
}

// checkQuota asks the quota hook whether adding delta (on top of what
// this transaction already adds) is allowed.
func (tx *Tx) checkQuota(delta Usage) error {
	q := tx.mb.opts.Quota
	if q == nil || !tx.mh.HasQuotaRoot || tx.mh.QuotaRoot == "" {
		return nil
	}
	total := tx.quotaPending.Add(delta)
	if err := q.Check(tx.mh.QuotaRoot, total); err != nil {
		return err
	}
	tx.quotaPending = total
	return nil
}

// SetRecent records the owner's \Recent high-water mark (imapd SELECT).
func (tx *Tx) SetRecent(uid uint32, when uint32) {
	if uid > tx.h.RecentUID {
		tx.h.RecentUID = uid
	}
	tx.h.RecentTime = when
}

// SetPOP3LastLogin stores the POP3 login time (pop3d).
func (tx *Tx) SetPOP3LastLogin(t uint32) { tx.h.POP3LastLogin = t }

// SetPOP3ShowAfter stores the /vendor/cmu/cyrus-imapd/pop3showafter time.
func (tx *Tx) SetPOP3ShowAfter(t uint32) {
	if tx.h.POP3ShowAfter != t {
		tx.h.POP3ShowAfter = t
		tx.nextModSeq()
	}
}

// SetOptions changes the user-settable option bits (OptSharedSeen,
// OptDupDeliver, OptHasAlarms, OptPOP3NewUIDL).
func (tx *Tx) SetOptions(set, clear uint32) {
	set &= index.OptionsMask
	clear &= index.OptionsMask
	tx.h.Options = (tx.h.Options | set) &^ clear
}

// SetACL replaces the ACL kept in cyrus.header (Cyrus's tab form).
func (tx *Tx) SetACL(acl string) {
	if tx.mh.HasACL && tx.mh.ACL == acl {
		return
	}
	tx.mh.ACL, tx.mh.HasACL = acl, true
	tx.mhDirty = true
}

// SetQuotaRoot changes the quota root ("" removes it). The usage moves:
// the old root is charged minus the usage, the new one plus, at commit.
func (tx *Tx) SetQuotaRoot(root string) error {
	if tx.mh.HasQuotaRoot == (root != "") && tx.mh.QuotaRoot == root {
		return nil
	}
	if q := tx.mb.opts.Quota; q != nil {
		if tx.mh.HasQuotaRoot && tx.mh.QuotaRoot != "" && !tx.usageBefore.IsZero() {
			if err := q.Charge(tx.mh.QuotaRoot, Usage{}.Sub(tx.usageBefore)); err != nil {
				return err
			}
		}
		if root != "" && !tx.usageBefore.IsZero() {
			if err := q.Charge(root, tx.usageBefore); err != nil {
				return err
			}
		}
	}
	tx.mh.QuotaRoot, tx.mh.HasQuotaRoot = root, root != ""
	tx.mhDirty = true
	return nil
}

// SetName changes the internal name in cyrus.header (a rename that keeps
// the files where they are: by-uuid mailboxes, Cyrus
// mailbox_rename_nocopy) and takes a new modseq unless silent.
func (tx *Tx) SetName(name string, silent bool) {
	if tx.mh.Name == name {
		return
	}
	tx.mh.Name = name
	tx.mhDirty = true
	tx.mb.loc.Name = name
	if !silent {
		tx.nextModSeq()
	}
}

// SetUniqueID changes the uniqueid in cyrus.header (used after copying a
// mailbox's files to a new location).
func (tx *Tx) SetUniqueID(id string) {
	if tx.mh.UniqueID != id {
		tx.mh.UniqueID = id
		tx.mhDirty = true
	}
}

// SetUIDValidity changes UIDVALIDITY (rename to a new mailbox).
func (tx *Tx) SetUIDValidity(v uint32) { tx.h.UIDValidity = v }
