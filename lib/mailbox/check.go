package mailbox

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"os"

	"gyrus/lib/fileio"
	"gyrus/lib/mailbox/index"
)

// Problem is one inconsistency found by Check.
type Problem struct {
	File   string
	Record uint32 // 0 when not about a record
	UID    uint32
	What   string
}

func (p Problem) String() string {
	if p.Record != 0 {
		return fmt.Sprintf("%s record %d (uid %d): %s", p.File, p.Record, p.UID, p.What)
	}
	return fmt.Sprintf("%s: %s", p.File, p.What)
}

// CheckOptions select the expensive checks.
type CheckOptions struct {
	Files bool // stat every message file (size)
	GUIDs bool // read every message file and compare its SHA-1 (implies Files)
}

// Check verifies, under a shared lock, everything that must hold between
// the mailbox files: record CRCs, UID order, last_uid, every counter of
// the index header (exists, deleted, answered, flagged, unseen,
// quota_mailbox_used, quota_annot_used of the messages), both sync CRCs,
// cyrus.header's CRC, every cache entry (generation, framing, CRC), and
// optionally the message files. It returns the problems found; err is
// for failures to read at all.
func (mb *Mailbox) Check(o CheckOptions) (probs []Problem, err error) {
	if mb.closed {
		return nil, ErrClosed
	}
	if err := mb.rlock(); err != nil {
		return nil, err
	}
	defer mb.runlock()
	h := mb.hdr
	ip := mb.loc.indexPath()
	add := func(recno, uid uint32, f string, a ...any) {
		file := ip
		probs = append(probs, Problem{File: file, Record: recno, UID: uid, What: fmt.Sprintf(f, a...)})
	}
	if h.HeaderFileCRC != mb.mhCRC {
		probs = append(probs, Problem{File: mb.loc.headerPath(), What: fmt.Sprintf("file CRC %08x, index says %08x", mb.mhCRC, h.HeaderFileCRC)})
	}
	// the data partition's cyrus.cache and the archive's, opened when a
	// record needs them (a failure to open is reported once)
	var caches [2]*cacheReader
	var cacheFailed [2]bool
	defer func() {
		for _, c := range caches {
			if c != nil {
				c.close()
			}
		}
	}()
	cacheOf := func(r *index.Record) *cacheReader {
		i := 0
		if r.InternalFlags&index.InternalArchived != 0 && mb.loc.separateArchive() {
			i = 1
		}
		if caches[i] == nil && !cacheFailed[i] {
			path := mb.loc.cachePathOf(r)
			f, err := openCacheGen(path, h.Generation, os.O_RDONLY, false)
			if err != nil {
				probs = append(probs, Problem{File: path, What: err.Error()})
				cacheFailed[i] = true
			} else {
				caches[i] = &cacheReader{f: f, gen: h.Generation, path: path}
			}
		}
		return caches[i]
	}
	annots := map[uint32][]Annotation{}
	if db, err := mb.annotDB(false); err == nil {
		err = db.Foreach(nil, func(k, v []byte) error {
			uid, entry, userid, err := index.ParseAnnotationKey(k)
			if err != nil {
				probs = append(probs, Problem{File: mb.loc.annotationsPath(), What: err.Error()})
				return nil
			}
			av, err := index.ParseAnnotationValue(v)
			if err != nil {
				probs = append(probs, Problem{File: mb.loc.annotationsPath(), What: err.Error()})
				return nil
			}
			if !av.Deleted && len(av.Value) > 0 {
				annots[uid] = append(annots[uid], Annotation{Entry: entry, UserID: mb.loc.realUserID(userid), Value: append([]byte(nil), av.Value...)})
			}
			return nil
		})
		if err != nil {
			return probs, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return probs, err
	}
	var c index.Header
	c.SyncCRCBasic, c.SyncCRCAnnot = index.CRCInitBasic, index.CRCInitAnnot
	var lastUID, annotUsed uint32
	var maxModSeq uint64
	for recno := uint32(1); recno <= h.NumRecords; recno++ {
		r, err := mb.m.record(&h, recno)
		if err != nil {
			probs = append(probs, Problem{File: ip, Record: recno, What: err.Error()})
			continue
		}
		if r.UID <= lastUID {
			add(recno, r.UID, "uid not above the previous uid %d", lastUID)
		}
		lastUID = r.UID
		if r.ModSeq > maxModSeq {
			maxModSeq = r.ModSeq
		}
		c.SyncCRCBasic ^= index.CRCBasic(&r, &mb.mh.Flags)
		c.SyncCRCAnnot ^= index.CRCVirtAnnot(&r)
		for n := 0; n < index.MaxUserFlags; n++ {
			if r.HasUserFlag(n) && mb.mh.Flags[n] == "" {
				add(recno, r.UID, "user flag %d set but has no name in cyrus.header", n)
			}
		}
		if !r.Expunged() {
			c.Exists++
			c.QuotaMailboxUsed += uint64(r.Size)
			if r.SystemFlags&index.FlagAnswered != 0 {
				c.Answered++
			}
			if r.SystemFlags&index.FlagFlagged != 0 {
				c.Flagged++
			}
			if r.SystemFlags&index.FlagDeleted != 0 {
				c.Deleted++
			}
			if r.SystemFlags&index.FlagSeen == 0 {
				c.Unseen++
			}
			for _, a := range annots[r.UID] {
				if !index.IsVirtualAnnotation(a.Entry) {
					c.SyncCRCAnnot ^= index.CRCAnnot(r.UID, a.Entry, a.UserID, a.Value)
				}
				annotUsed += uint32(len(a.Value))
			}
		}
		if r.CacheVersion != index.CacheVersion {
			add(recno, r.UID, "cache version %d", r.CacheVersion)
		}
		if !r.Unlinked() {
			if cache := cacheOf(&r); cache != nil {
				if _, err := cache.entry(r.CacheOffset, r.CacheCRC); err != nil {
					add(recno, r.UID, "cache: %v", err)
				}
			}
		}
		if (o.Files || o.GUIDs) && !r.Unlinked() {
			mb.checkFile(&r, recno, o.GUIDs, add)
		}
	}
	if lastUID > h.LastUID {
		add(0, 0, "last_uid %d below the highest uid %d", h.LastUID, lastUID)
	}
	if maxModSeq > h.HighestModSeq {
		add(0, 0, "highestmodseq %d below a record's modseq %d", h.HighestModSeq, maxModSeq)
	}
	type cnt struct {
		name      string
		got, want uint64
	}
	for _, x := range []cnt{
		{"exists", uint64(h.Exists), uint64(c.Exists)},
		{"deleted", uint64(h.Deleted), uint64(c.Deleted)},
		{"answered", uint64(h.Answered), uint64(c.Answered)},
		{"flagged", uint64(h.Flagged), uint64(c.Flagged)},
		{"unseen", uint64(h.Unseen), uint64(c.Unseen)},
		{"quota_mailbox_used", h.QuotaMailboxUsed, c.QuotaMailboxUsed},
		{"synccrcs.basic", uint64(h.SyncCRCBasic), uint64(c.SyncCRCBasic)},
		{"synccrcs.annot", uint64(h.SyncCRCAnnot), uint64(c.SyncCRCAnnot)},
	} {
		if x.got != x.want {
			add(0, 0, "header %s is %d, records give %d", x.name, x.got, x.want)
		}
	}
	// quota_annot_used also counts mailbox-level annotations (kept
	// elsewhere), so it can only be too small here
	if h.QuotaAnnotUsed < annotUsed {
		add(0, 0, "header quota_annot_used %d below the message annotations' %d bytes", h.QuotaAnnotUsed, annotUsed)
	}
	return probs, nil
}

func (mb *Mailbox) checkFile(r *index.Record, recno uint32, guid bool, add func(uint32, uint32, string, ...any)) {
	path := mb.loc.RecordPath(r)
	f, err := fileio.Open(path, os.O_RDONLY, 0)
	if err != nil {
		add(recno, r.UID, "message file: %v", err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		add(recno, r.UID, "message file: %v", err)
		return
	}
	if st.Size() != int64(r.Size) {
		add(recno, r.UID, "message file %s has %d bytes, record says %d", path, st.Size(), r.Size)
	}
	if guid {
		h := sha1.New()
		if _, err := io.Copy(h, f); err != nil {
			add(recno, r.UID, "message file: %v", err)
			return
		}
		var g [20]byte
		copy(g[:], h.Sum(nil))
		if g != r.GUID {
			add(recno, r.UID, "message file %s has GUID %x, record says %x", path, g, r.GUID)
		}
	}
}

// Recalc recomputes, from the records and the message annotations, every
// counter of the index header and both sync CRCs, and raises last_uid and
// highestmodseq to the largest UID and modseq found (Cyrus
// mailbox_index_recalc, the part of reconstruct that repairs a header
// left behind by a crash between record writes and the header write).
// quota_annot_used becomes the message annotations' bytes plus
// mailboxAnnotBytes, the mailbox-level annotations kept in the global
// annotations.db by another package.
func (tx *Tx) Recalc(mailboxAnnotBytes uint32) error {
	if err := tx.check(); err != nil {
		return err
	}
	h := &tx.h
	h.HeaderFileCRC = tx.mb.mhCRC
	h.Exists, h.Deleted, h.Answered, h.Flagged, h.Unseen = 0, 0, 0, 0, 0
	h.QuotaMailboxUsed = 0
	h.SyncCRCBasic, h.SyncCRCAnnot = index.CRCInitBasic, index.CRCInitAnnot
	h.QuotaAnnotUsed = mailboxAnnotBytes
	for recno := uint32(1); recno <= h.NumRecords; recno++ {
		r, err := tx.record(recno)
		if err != nil {
			return err
		}
		if r.UID > h.LastUID {
			h.LastUID = r.UID
		}
		if r.ModSeq > h.HighestModSeq {
			h.HighestModSeq = r.ModSeq
		}
		tx.counts(&r, true)
		if r.Expunged() {
			continue
		}
		annots, err := tx.txAnnotations(r.UID)
		if err != nil {
			return err
		}
		for _, w := range annots {
			if len(w.value) == 0 {
				continue
			}
			if !index.IsVirtualAnnotation(w.entry) {
				h.SyncCRCAnnot ^= index.CRCAnnot(r.UID, w.entry, tx.mb.loc.realUserID(w.userid), w.value)
			}
			h.QuotaAnnotUsed += uint32(len(w.value))
		}
	}
	return nil
}
