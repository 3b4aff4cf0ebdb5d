package reconstruct

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"gyrus/lib/log"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

// reconstruct repairs the mailbox in memory (Cyrus mailbox_reconstruct);
// commit writes the result.
func (b *box) reconstruct() error {
	r := b.r
	o := &r.opt
	name := b.e.Name
	if o.MakeChanges && !o.Quiet {
		log.Info("reconstructing", "mailbox", name)
	}
	if !o.MakeChanges && (b.fresh || b.mh == nil) {
		// Cyrus cannot even open such a mailbox without repairing it
		return fmt.Errorf("%s: %w", name, errUnreadable)
	}
	if b.fresh {
		r.printf("%s: failed to read index header\n", name)
		log.Error("IOERROR", "mailbox", name, "event", "failed to read index header")
	}
	if b.mh == nil {
		r.printf("%s: failed to read header file\n", name)
		log.Error("IOERROR", "mailbox", name, "event", "failed to read header file")
		b.mh = b.headerFromEntry()
		b.mhDirty = true
	}
	if b.fresh {
		b.startFresh()
	} else {
		b.cache.replace = !b.cache.usable(b.h.Generation)
		b.cache.newGen = b.h.Generation
		b.acache.replace = !b.acache.usable(b.h.Generation)
		b.acache.newGen = b.h.Generation
		if b.mhCRC != b.h.HeaderFileCRC && !b.mhDirty {
			r.printf("%s: header file CRC mismatch, correcting\n", name)
			log.Error("IOERROR", "mailbox", name, "event", "header file CRC mismatch, correcting")
			b.h.HeaderFileCRC = b.mhCRC
			b.changed = true
		}
	}
	// mailbox_reconstruct_acl: the header's ACL against mailboxes.db's
	if b.mh.ACL != b.e.ACL {
		r.printf("%s: update acl from header %s => %s\n", name, b.e.ACL, b.mh.ACL)
	}
	// user flag names that are not atoms are dropped
	var valid [4]uint32
	for n, f := range b.mh.Flags {
		if f == "" {
			continue
		}
		if !index.IsFlagAtom(f) {
			r.printf("%s: bogus flag name %d:%s", name, n, f) // sic: no newline, as Cyrus
			log.Error("bogus flag name", "mailbox", name, "slot", n, "flag", f)
			b.mh.Flags[n] = ""
			b.mhDirty = true
			continue
		}
		valid[n/32] |= 1 << (n % 32)
	}
	if err := b.openAnnotations(); err != nil {
		return err
	}
	if err := b.cleanupStaleExpunged(); err != nil {
		return err
	}
	files, err := b.findFiles()
	if err != nil {
		return err
	}
	annots, err := b.findAnnots()
	if err != nil {
		return err
	}
	b.startCounts()

	var discovered []foundFile
	var delannots []uint32
	fi, ai := 0, 0
	var lastSeen uint32
	for i := range b.recs {
		rc := &b.recs[i]
		if rc.bad || rc.UID <= lastSeen {
			// unreadable, out of order or a repeated UID: wiped, its
			// file will be found again
			if !rc.bad && rc.UID != 0 {
				log.Error("out of order uid, wiping", "mailbox", name, "uid", rc.UID, "record", rc.recno)
			}
			b.wipe(rc)
			continue
		}
		lastSeen = rc.UID
		for ai < len(annots) && annots[ai].uid < rc.UID {
			delannots = append(delannots, annots[ai].uid)
			ai++
		}
		snoozed := false
		for ai < len(annots) && annots[ai].uid == rc.UID {
			snoozed = snoozed || annots[ai].snoozed
			ai++
		}
		for fi < len(files) && files[fi].uid < rc.UID {
			discovered = append(discovered, files[fi])
			fi++
		}
		haveFile := false
		for fi < len(files) && files[fi].uid == rc.UID {
			if haveFile {
				b.duplicateArchiveFile(rc.UID)
			} else {
				b.matchArchived(rc, files[fi].archive)
				haveFile = true
			}
			fi++
		}
		if err := b.compareUpdate(rc, valid, haveFile, snoozed, &discovered); err != nil {
			return err
		}
		for _, entry := range []struct{ entry, what string }{
			{index.AnnotThrID, "thrid"}, {index.AnnotSaveDate, "savedate"}, {index.AnnotCreatedModSeq, "createdmodseq"},
		} {
			if b.annotValue(rc.UID, entry.entry) {
				log.Info("removing stale "+entry.what, "mailbox", name, "uid", rc.UID)
				r.printf("removing stale %s for %d\n", entry.what, rc.UID)
				b.annotDelete(rc.UID, entry.entry)
			}
		}
	}
	if b.h.LastUID < lastSeen {
		log.Error("last_uid too small, updating", "mailbox", name, "last_uid", b.h.LastUID, "highest", lastSeen)
		b.h.LastUID = lastSeen
		b.changed = true
	}
	for fi < len(files) && files[fi].uid <= b.h.LastUID {
		discovered = append(discovered, files[fi])
		fi++
	}
	// files above last_uid keep their UID (an index lost its tail)
	for ; fi < len(files); fi++ {
		uid := files[fi].uid
		for ai < len(annots) && annots[ai].uid < uid {
			delannots = append(delannots, annots[ai].uid)
			ai++
		}
		snoozed := false
		for ai < len(annots) && annots[ai].uid == uid {
			snoozed = snoozed || annots[ai].snoozed
			ai++
		}
		if err := b.appendFile(files[fi], snoozed); err != nil {
			return err
		}
	}
	for ; ai < len(annots); ai++ {
		delannots = append(delannots, annots[ai].uid)
	}
	// (in the order found: Cyrus does not sort this list again)
	for _, ff := range discovered {
		if err := b.appendFile(ff, false); err != nil {
			return err
		}
	}
	for _, uid := range delannots {
		log.Info("removing stale annotations", "mailbox", name, "uid", uid)
		r.printf("removing stale annotations for %d\n", uid)
		b.annotDeleteUID(uid)
	}
	return b.recalc()
}

var errUnreadable = errors.New("Mailbox has an invalid format")

// startFresh prepares a rebuild of cyrus.index: a new header, and the
// records of the old file whose CRC still checks out (their flags
// survive), in UID order.
func (b *box) startFresh() {
	e := b.e
	now := b.now()
	uv := now
	if e.UIDValidity >= uv {
		uv = e.UIDValidity + 1
	}
	b.h = index.NewHeader(uv, 0, e.CreatedModSeq, b.r.env.DefaultOptions|index.OptPOP3NewUIDL, now)
	if e.FolderModSeq > b.h.HighestModSeq {
		b.h.HighestModSeq = e.FolderModSeq
	}
	b.h.Generation = 0
	if b.cache.genOK {
		b.h.Generation = b.cache.gen + 1
	}
	b.cache.replace, b.cache.newGen = true, b.h.Generation
	b.acache.replace, b.acache.newGen = true, b.h.Generation
	b.recs = nil
	var last uint32
	for off := index.HeaderSize; off+index.RecordSize <= len(b.raw); off += index.RecordSize {
		rec0, err := index.ParseRecord(b.raw[off:off+index.RecordSize], 0, int64(off))
		if err != nil || rec0.UID <= last || rec0.Unlinked() {
			continue
		}
		last = rec0.UID
		b.recs = append(b.recs, rec{Record: rec0})
		if rec0.ModSeq > b.h.HighestModSeq {
			b.h.HighestModSeq = rec0.ModSeq
		}
	}
	b.h.LastUID = last
	b.changed = true
}

// loadRecords parses the records of a readable index. Unreadable ones
// are marked dirty so that the loop wipes them.
func (b *box) loadRecords() {
	h := &b.h
	b.recs = make([]rec, 0, h.NumRecords)
	for recno := uint32(1); recno <= h.NumRecords; recno++ {
		off := h.RecordOffset(recno)
		var rc rec
		rc.recno = recno
		if off+index.RecordSize > int64(len(b.raw)) {
			rc.bad = true
		} else if r0, err := index.ParseRecord(b.raw[off:off+index.RecordSize], recno, off); err != nil {
			log.Error("IOERROR: failed to read record, wiping", "mailbox", b.e.Name, "record", recno, "error", err.Error())
			rc.Record = index.ParseRecordNoCRC(b.raw[off : off+index.RecordSize])
			rc.bad = true
		} else {
			rc.Record = r0
		}
		b.recs = append(b.recs, rc)
	}
}

// wipe is Cyrus's mailbox_wipe_index_record: the slot keeps no message.
// It does not change the counters (Cyrus does not either; the recount
// reports the difference).
func (b *box) wipe(rc *rec) {
	rc.Record = index.Record{InternalFlags: index.InternalExpunged | index.InternalUnlinked}
	rc.dirty = true
	b.h.Options |= index.OptNeedsRepack
	b.changed = true
	b.wantCleanup = true
	b.nWiped++
}

// counts is the part of the header that follows every record change.
type counts struct {
	exists, answered, flagged, deleted, unseen uint32
	used                                       uint64
	crcBasic, crcAnnot                         uint32
}

func (b *box) startCounts() {
	h := &b.h
	b.cnt = counts{exists: h.Exists, answered: h.Answered, flagged: h.Flagged, deleted: h.Deleted,
		unseen: h.Unseen, used: h.QuotaMailboxUsed, crcBasic: h.SyncCRCBasic, crcAnnot: h.SyncCRCAnnot}
}

// count adds (or removes) a record's share of the counters, as Cyrus's
// mailbox_index_update_counts does (uint32 arithmetic, wrapping as C's).
func (b *box) count(r *index.Record, add bool) {
	c := &b.cnt
	if !r.Expunged() {
		n := uint32(1)
		if !add {
			n = ^uint32(0)
		}
		if r.SystemFlags&index.FlagAnswered != 0 {
			c.answered += n
		}
		if r.SystemFlags&index.FlagFlagged != 0 {
			c.flagged += n
		}
		if r.SystemFlags&index.FlagDeleted != 0 {
			c.deleted += n
		}
		if r.SystemFlags&index.FlagSeen == 0 {
			c.unseen += n
		}
		if add {
			c.exists++
			c.used += uint64(r.Size)
		} else {
			if c.exists > 0 {
				c.exists--
			}
			if c.used > uint64(r.Size) {
				c.used -= uint64(r.Size)
			} else {
				c.used = 0
			}
		}
	}
	c.crcBasic ^= index.CRCBasic(r, &b.mh.Flags)
	c.crcAnnot ^= index.CRCVirtAnnot(r)
}

// rewrite gives a changed record a new modseq (Cyrus
// mailbox_rewrite_index_record) and keeps the counters in step.
func (b *box) rewrite(rc *rec, old *index.Record) {
	b.count(old, false)
	b.h.HighestModSeq++
	rc.ModSeq = b.h.HighestModSeq
	rc.LastUpdated = b.now()
	if rc.Expunged() && !old.Expunged() {
		if b.h.FirstExpunged == 0 || b.h.FirstExpunged > rc.LastUpdated {
			b.h.FirstExpunged = rc.LastUpdated
		}
	}
	if rc.Unlinked() {
		b.h.Options |= index.OptNeedsUnlink
		b.wantCleanup = true
	}
	b.count(&rc.Record, true)
	rc.dirty = true
	b.changed = true
}

// parsed is what parsing a message file gives a record.
type parsed struct {
	m     *message.Message
	entry []byte
	crc   uint32
}

func (b *box) parseFile(path string) (*parsed, int64, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, time.Time{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, time.Time{}, err
	}
	m, err := message.Parse(f, st.Size(), b.r.env.Message)
	if err != nil {
		return nil, 0, time.Time{}, fmt.Errorf("parse %s: %w", path, err)
	}
	e := m.CacheEntry()
	return &parsed{m: m, entry: e, crc: m.CacheCRC()}, st.Size(), st.ModTime(), nil
}

// applyParse sets the fields Cyrus's message_create_record sets.
func applyParse(r *index.Record, p *parsed) {
	r.SentDate, r.GMTime = p.m.SentDate, p.m.GMTime
	r.Size, r.HeaderSize = p.m.Size, p.m.HeaderSize
	r.GUID = p.m.GUID
	r.CacheVersion = index.CacheVersion
	r.CacheCRC = p.crc
	r.CacheOffset = 0
}

// localDay is the local midnight of t, as Cyrus's sentdate fallback.
func localDay(t uint32) uint32 {
	tm := time.Unix(int64(t), 0).Local()
	y, mo, d := tm.Date()
	return uint32(time.Date(y, mo, d, 0, 0, 0, 0, time.Local).Unix())
}

// compareUpdate is Cyrus's mailbox_reconstruct_compare_update for one
// readable record.
func (b *box) compareUpdate(rc *rec, valid [4]uint32, haveFile, snoozed bool, discovered *[]foundFile) error {
	r := b.r
	o := &r.opt
	name := b.e.Name
	path := b.loc.RecordPath(&rc.Record)
	cache := b.cacheOf(&rc.Record)
	reparse := o.AlwaysParse
	repack := false
	var st os.FileInfo
	if haveFile && o.Stat {
		var err error
		st, err = os.Stat(path)
		switch {
		case err != nil || st.Size() == 0:
			haveFile = false
		case int64(rc.Size) != st.Size():
			reparse = true
		}
	}
	if !haveFile {
		if rc.Unlinked() {
			return nil
		}
		r.printf("%s uid %d not found\n", name, rc.UID)
		log.Error("uid not found", "mailbox", name, "uid", rc.UID)
		if !o.MakeChanges {
			return nil
		}
		os.Remove(path)
		old := rc.Record
		rc.InternalFlags |= index.InternalExpunged | index.InternalUnlinked
		b.h.Options |= index.OptNeedsRepack
		b.rewrite(rc, &old)
		return nil
	}
	entry, cacheOK := cache.entry(rc.CacheOffset, rc.CacheCRC)
	switch {
	case !cacheOK || entry.Len == 0:
		reparse, repack = true, true
	case cache.replace:
		// a good entry in a cache file that is being replaced (another
		// generation, or an index rebuilt): it moves, silently
		rc.CacheOffset = cache.add(entry.Raw[:entry.Len])
		rc.dirty = true
		b.changed = true
	}
	cp := rc.Record
	var cpEntry []byte
	if cacheOK {
		cpEntry = entry.Raw[:entry.Len]
	}
	if rc.InternalDate == 0 {
		reparse = true
	}
	var newEntry []byte
	if reparse {
		p, size, mtime, err := b.parseFile(path)
		if err != nil {
			return err
		}
		if st == nil {
			st = fakeStat{size: size, mtime: mtime}
		}
		applyParse(&rc.Record, p)
		newEntry = p.entry
		if rc.GUID != cp.GUID {
			r.printf("%s uid %d guid mismatch\n", name, rc.UID)
			log.Error("guid mismatch", "mailbox", name, "uid", rc.UID)
			if !o.MakeChanges {
				rc.Record = cp
				return nil
			}
			unlink := false
			switch {
			case cp.Expunged():
				r.printf("%s uid %d already expunged, unlinking\n", name, rc.UID)
				unlink = true
			case o.GUIDRewrite:
				*discovered = append(*discovered, foundFile{uid: rc.UID,
					archive: cp.InternalFlags&index.InternalArchived != 0 && b.separateArchive()})
				r.printf("%s uid %d marking for uid upgrade\n", name, rc.UID)
				unlink = true
			case o.GUIDUnlink:
				r.printf("%s uid %d unlinking as requested with -U\n", name, rc.UID)
				unlink = true
			}
			if unlink {
				// the record keeps its GUID: a GUID never changes
				rc.Record = cp
				rc.InternalFlags |= index.InternalExpunged | index.InternalUnlinked
				b.h.Options |= index.OptNeedsUnlink
				b.rewrite(rc, &cp)
				return nil
			}
			r.printf("run reconstruct with -R to fix or -U to remove\n")
			rc.Record = cp
			return nil
		}
	}
	if rc.InternalDate == 0 {
		if st == nil {
			if s, err := os.Stat(path); err == nil {
				st = s
			}
		}
		if st != nil {
			rc.InternalDate = uint32(st.ModTime().Unix())
		} else {
			rc.InternalDate = b.now()
		}
	}
	if rc.GMTime == 0 {
		rc.GMTime = rc.InternalDate
	}
	if rc.SentDate == 0 {
		rc.SentDate = localDay(rc.InternalDate)
	}
	if rc.ModSeq > b.h.HighestModSeq {
		r.printf("%s uid %d future modseq %d found\n", name, rc.UID, rc.ModSeq)
		log.Error("future modseq found", "mailbox", name, "uid", rc.UID, "modseq", rc.ModSeq)
		b.h.HighestModSeq = rc.ModSeq
		b.changed = true
	}
	if rc.UID > b.h.LastUID {
		r.printf("%s future uid %d found\n", name, rc.UID)
		log.Error("future uid found", "mailbox", name, "uid", rc.UID)
		b.h.LastUID = rc.UID
		b.changed = true
	}
	for i := range rc.UserFlags {
		rc.UserFlags[i] &= valid[i]
	}
	if !rc.Expunged() && (rc.InternalFlags&index.InternalSnoozed != 0) != snoozed {
		r.printf("%s uid %d snoozed mismatch\n", name, rc.UID)
		if snoozed {
			rc.InternalFlags |= index.InternalSnoozed
		} else {
			rc.InternalFlags &^= index.InternalSnoozed
		}
	}
	if b.recordsMatch(&cp, &rc.Record, cpEntry, newEntry) {
		rc.Record = cp
		return nil
	}
	if !o.MakeChanges {
		rc.Record = cp
		return nil
	}
	if repack || rc.CacheOffset == 0 || rc.CacheCRC != cp.CacheCRC {
		if newEntry == nil {
			p, _, _, err := b.parseFile(path)
			if err != nil {
				return err
			}
			newEntry = p.entry
			rc.CacheCRC = p.crc
		}
		b.h.Options |= index.OptNeedsRepack
		newcrc := rc.CacheCRC
		rc.CacheOffset = cache.add(newEntry)
		r.printf("%s rewrote cache for %d (offset %d to %d, crc %d to %d/%d)\n", name, rc.UID,
			0, rc.CacheOffset, cp.CacheCRC, newcrc, rc.CacheCRC)
	}
	b.rewrite(rc, &cp)
	return nil
}

// recordsMatch is Cyrus's records_match: it prints each field that
// differs and reports whether the record (cache entry included) is
// unchanged.
func (b *box) recordsMatch(old, nw *index.Record, oldEntry, newEntry []byte) bool {
	name := b.e.Name
	match := true
	mis := func(field string) {
		b.r.printf("%s uid %d mismatch: %s\n", name, nw.UID, field)
		match = false
	}
	if old.InternalDate != nw.InternalDate {
		mis("internaldate")
	}
	if old.SentDate != nw.SentDate {
		mis("sentdate")
	}
	if old.Size != nw.Size {
		mis("size")
	}
	if old.HeaderSize != nw.HeaderSize {
		mis("header_size")
	}
	if old.GMTime != nw.GMTime {
		mis("gmtime")
	}
	if old.SaveDate != nw.SaveDate {
		mis("savedate")
	}
	if old.CreatedModSeq != nw.CreatedModSeq {
		mis("createdmodseq")
	}
	if old.SystemFlags != nw.SystemFlags {
		mis("systemflags")
	}
	if old.InternalFlags != nw.InternalFlags {
		mis("internalflags")
	}
	if old.UserFlags != nw.UserFlags {
		mis("userflags")
	}
	if old.GUID != nw.GUID {
		mis("guid")
	}
	if !match {
		log.Error("record mismatch, rewriting", "mailbox", name, "uid", nw.UID)
	}
	if old.CacheVersion != nw.CacheVersion || old.CacheCRC != nw.CacheCRC {
		return false
	}
	if newEntry != nil && !bytes.Equal(oldEntry, newEntry) {
		return false
	}
	return match
}

type fakeStat struct {
	os.FileInfo
	size  int64
	mtime time.Time
}

func (f fakeStat) Size() int64        { return f.size }
func (f fakeStat) ModTime() time.Time { return f.mtime }

// appendFile is Cyrus's mailbox_reconstruct_append: a message file with
// no record gets one, with its own UID above last_uid, else with the next
// UID (the file is renamed).
func (b *box) appendFile(ff foundFile, snoozed bool) error {
	r := b.r
	o := &r.opt
	name := b.e.Name
	uid := ff.uid
	path := b.loc.MessagePath(uid)
	if ff.archive {
		path = b.loc.ArchivePath(uid)
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() == 0 {
		log.Error("uid not found", "mailbox", name, "uid", uid)
		r.printf("%s uid %d not found", name, uid) // sic: no newline, as Cyrus
		if o.MakeChanges && err == nil {
			os.Remove(path)
		}
		return nil
	}
	p, _, mtime, err := b.parseFile(path)
	if err != nil {
		return err
	}
	var nr index.Record
	applyParse(&nr, p)
	if ff.archive {
		// found in the archive directory: an archived message
		nr.InternalFlags |= index.InternalArchived
	}
	if snoozed {
		nr.InternalFlags |= index.InternalSnoozed
	}
	nr.InternalDate = uint32(mtime.Unix())
	if uid > b.h.LastUID {
		r.printf("%s uid %d found - adding\n", name, uid)
		log.Error("uid found - adding", "mailbox", name, "uid", uid)
		nr.UID = uid
	} else {
		r.printf("%s uid %d rediscovered - appending\n", name, uid)
		log.Error("uid rediscovered - appending", "mailbox", name, "uid", uid)
		nr.UID = b.h.LastUID + 1
		if !o.MakeChanges {
			return nil
		}
		if err := os.Rename(path, b.loc.RecordPath(&nr)); err != nil {
			return err
		}
		if ff.archive {
			b.adirChanged = true
		} else {
			b.dirChanged = true
		}
	}
	if !o.MakeChanges {
		return nil
	}
	if nr.GMTime == 0 {
		nr.GMTime = nr.InternalDate
	}
	if nr.SentDate == 0 {
		nr.SentDate = localDay(nr.InternalDate)
	}
	b.h.HighestModSeq++
	now := b.now()
	nr.ModSeq = b.h.HighestModSeq
	nr.CreatedModSeq = nr.ModSeq
	nr.LastUpdated = now
	nr.SaveDate = now
	t := time.Unix(int64(nr.InternalDate), 0)
	os.Chtimes(b.loc.RecordPath(&nr), t, t)
	nr.CacheOffset = b.cacheOf(&nr).add(p.entry)
	b.h.LastUID = nr.UID
	b.count(&nr, true)
	b.apps = append(b.apps, rec{Record: nr, dirty: true})
	b.changed = true
	return nil
}

// recalc is Cyrus's mailbox_index_recalc followed by
// reconstruct_compare_headers: the counters are computed from the
// records and every difference with what the incremental updates gave
// is printed.
func (b *box) recalc() error {
	name := b.e.Name
	var c counts
	c.crcBasic, c.crcAnnot = index.CRCInitBasic, index.CRCInitAnnot
	annotUsed := b.mailboxAnnotBytes()
	each := func(r *index.Record) {
		if r.Expunged() {
			return
		}
		if r.SystemFlags&index.FlagAnswered != 0 {
			c.answered++
		}
		if r.SystemFlags&index.FlagFlagged != 0 {
			c.flagged++
		}
		if r.SystemFlags&index.FlagDeleted != 0 {
			c.deleted++
		}
		if r.SystemFlags&index.FlagSeen == 0 {
			c.unseen++
		}
		c.exists++
		c.used += uint64(r.Size)
		c.crcBasic ^= index.CRCBasic(r, &b.mh.Flags)
		c.crcAnnot ^= index.CRCVirtAnnot(r)
		crc, used := b.messageAnnots(r.UID)
		c.crcAnnot ^= crc
		annotUsed += used
	}
	for i := range b.recs {
		each(&b.recs[i].Record)
	}
	for i := range b.apps {
		each(&b.apps[i].Record)
	}
	old := b.cnt
	oldAnnotUsed := b.h.QuotaAnnotUsed
	if !b.fresh {
		out := b.r.printf
		if old.used != c.used {
			out("%s updating quota_mailbox_used: %d => %d\n", name, old.used, c.used)
		}
		if oldAnnotUsed != annotUsed {
			out("%s updating quota_annot_used: %d => %d\n", name, oldAnnotUsed, annotUsed)
		}
		if old.answered != c.answered {
			out("%s: updating answered %d => %d\n", name, old.answered, c.answered)
		}
		if old.flagged != c.flagged {
			out("%s: updating flagged %d => %d\n", name, old.flagged, c.flagged)
		}
		if old.deleted != c.deleted {
			out("%s: updating deleted %d => %d\n", name, old.deleted, c.deleted)
		}
		if old.exists != c.exists {
			out("%s: updating exists %d => %d\n", name, old.exists, c.exists)
		}
		if old.crcBasic != c.crcBasic {
			out("%s: updating sync_crc %d => %d\n", name, old.crcBasic, c.crcBasic)
		}
		if old.crcAnnot != c.crcAnnot {
			out("%s: updating sync_crc_annot %d => %d\n", name, old.crcAnnot, c.crcAnnot)
		}
	}
	h := &b.h
	h.Exists, h.Answered, h.Flagged, h.Deleted, h.Unseen = c.exists, c.answered, c.flagged, c.deleted, c.unseen
	h.QuotaMailboxUsed = c.used
	h.SyncCRCBasic, h.SyncCRCAnnot = c.crcBasic, c.crcAnnot
	h.QuotaAnnotUsed = annotUsed
	h.NumRecords = uint32(len(b.recs) + len(b.apps))
	if h.Exists == 0 {
		h.Options |= index.OptPOP3NewUIDL
	}
	if h.UIDValidity == 0 {
		log.Error("zero uidvalidity", "mailbox", name)
		if b.r.opt.MakeChanges {
			h.UIDValidity = b.now()
		}
	}
	if h.HighestModSeq == 0 {
		log.Error("zero highestmodseq", "mailbox", name)
		h.HighestModSeq = 1
	}
	h.Options &^= index.OptGyrusCommitting
	return nil
}

// matchArchived makes a record's ARCHIVED flag say where its file was
// found (Cyrus mailbox_reconstruct: "Marking file as (not) archived").
// When both copies exist the data partition's, found first, wins.
// Without an archive directory of its own every file is found in the
// data directory, so an archived mark is cleared, as Cyrus does (the
// mark then says nothing about where the file is).
func (b *box) matchArchived(rc *rec, inArchive bool) {
	archived := rc.InternalFlags&index.InternalArchived != 0
	if archived == inArchive {
		return
	}
	old := rc.Record
	if inArchive {
		rc.InternalFlags |= index.InternalArchived
		b.r.printf("Marking file as archived %s %d\n", b.e.Name, rc.UID)
	} else {
		rc.InternalFlags &^= index.InternalArchived
		b.r.printf("Marking file as not archived %s %d\n", b.e.Name, rc.UID)
	}
	log.Error("archived flag does not match the file", "mailbox", b.e.Name, "uid", rc.UID, "archived", inArchive)
	b.rewrite(rc, &old)
}

// duplicateArchiveFile removes the archive copy of a message whose data
// copy exists too (the record now says the data copy is the one). Cyrus
// removes it even without changes allowed (-n, chk_cyrus); Gyrus
// removes it only when making changes.
func (b *box) duplicateArchiveFile(uid uint32) {
	p := b.loc.ArchivePath(uid)
	b.r.printf("Removing duplicate archive file %s\n", p)
	log.Info("removing duplicate archive file", "mailbox", b.e.Name, "path", p)
	if b.r.opt.MakeChanges {
		os.Remove(p)
	}
}
