package mailbox

import (
	"fmt"
	"path/filepath"
	"time"

	"gyrus/lib/mailbox/index"
)

// Expunge marks every live record for which decide returns true as
// EXPUNGED (each with a new modseq) and returns their UIDs. What happens
// next depends on the expunge mode: delayed keeps the record and file
// until ExpungeCleanup (cyr_expire -X) and a repack; semidelayed and
// immediate also mark the record UNLINKED so that Close removes the file
// (immediate also drops the record by a repack). decide nil means
// "has \Deleted" (IMAP EXPUNGE).
func (tx *Tx) Expunge(decide func(r *index.Record) bool) ([]uint32, error) {
	if err := tx.check(); err != nil {
		return nil, err
	}
	if decide == nil {
		decide = func(r *index.Record) bool { return r.SystemFlags&index.FlagDeleted != 0 }
	}
	var uids []uint32
	for recno := uint32(1); recno <= tx.h.NumRecords; recno++ {
		r, err := tx.record(recno)
		if err != nil {
			return uids, err
		}
		if r.Expunged() || !decide(&r) {
			continue
		}
		r.InternalFlags |= index.InternalExpunged
		if err := tx.rewrite(recno, r, false); err != nil {
			return uids, err
		}
		uids = append(uids, r.UID)
	}
	return uids, nil
}

// ExpungeUIDs expunges exactly the given UIDs (UID EXPUNGE does the
// \Deleted test itself through Expunge).
func (tx *Tx) ExpungeUIDs(uids []uint32) ([]uint32, error) {
	set := make(map[uint32]bool, len(uids))
	for _, u := range uids {
		set[u] = true
	}
	return tx.Expunge(func(r *index.Record) bool { return set[r.UID] })
}

// ExpungeCleanup is the expunge phase of cyr_expire (Cyrus
// mailbox_expunge_cleanup): expunged records whose last change is at or
// before mark are marked UNLINKED (silently: no new modseq), and the
// mailbox is flagged for a repack, which removes their files and records
// (Cleanup, or the next Close that can lock the mailbox exclusively). It
// returns how many records it marked.
func (tx *Tx) ExpungeCleanup(mark time.Time) (int, error) {
	if err := tx.check(); err != nil {
		return 0, err
	}
	m := uint32(mark.Unix())
	dirty := false
	n := 0
	var first uint32
	for recno := uint32(1); recno <= tx.h.NumRecords; recno++ {
		r, err := tx.record(recno)
		if err != nil {
			return n, err
		}
		if r.Unlinked() {
			dirty = true
			continue
		}
		if !r.Expunged() {
			continue
		}
		if r.LastUpdated > m {
			if first == 0 || first > r.LastUpdated {
				first = r.LastUpdated
			}
			continue
		}
		dirty = true
		r.InternalFlags |= index.InternalUnlinked
		if err := tx.rewrite(recno, r, true); err != nil {
			return n, err
		}
		n++
	}
	if dirty {
		tx.h.Options |= index.OptNeedsRepack
		tx.h.FirstExpunged = first
	}
	return n, nil
}

// Unexpunge restores expunged messages whose files are still there, the
// way Cyrus's unexpunge does: each gets a copy with a new UID (clients
// must never see an expunged UID come back), its file linked under the
// new UID, its annotations copied; the old record is marked UNLINKED so
// that its file name is cleaned up. clearDeleted removes \Deleted from
// the copies; addFlags are set on them. It returns old->new UID pairs.
func (tx *Tx) Unexpunge(decide func(r *index.Record) bool, clearDeleted bool, addFlags [4]uint32) ([][2]uint32, error) {
	if err := tx.check(); err != nil {
		return nil, err
	}
	var out [][2]uint32
	n := tx.h.NumRecords // records appended below are not revisited
	for recno := uint32(1); recno <= n; recno++ {
		old, err := tx.record(recno)
		if err != nil {
			return out, err
		}
		if !old.Expunged() || old.Unlinked() || !decide(&old) {
			continue
		}
		nr := old
		nr.UID = tx.h.LastUID + 1
		nr.InternalFlags &^= index.InternalExpunged | index.InternalNeedsCleanup
		if clearDeleted {
			nr.SystemFlags &^= index.FlagDeleted
		}
		for i := range nr.UserFlags {
			nr.UserFlags[i] |= addFlags[i]
		}
		src := tx.mb.loc.RecordPath(&old)
		dst := tx.mb.loc.RecordPath(&nr)
		copied, err := placeFile(src, dst, true, time.Time{})
		if err != nil {
			return out, fmt.Errorf("unexpunge uid %d: %w", old.UID, err)
		}
		if copied {
			tx.syncFiles = append(tx.syncFiles, fileToSync{path: dst})
		}
		tx.newFiles = append(tx.newFiles, dst)
		tx.syncDirs[filepath.Dir(dst)] = true
		if _, err := tx.appendRecord(nr, false); err != nil {
			return out, err
		}
		if err := tx.copyAnnotations(old.UID, nr.UID); err != nil {
			return out, err
		}
		old.InternalFlags |= index.InternalUnlinked | index.InternalNeedsCleanup
		if err := tx.rewrite(recno, old, false); err != nil {
			return out, err
		}
		out = append(out, [2]uint32{old.UID, nr.UID})
	}
	if len(out) > 0 {
		tx.h.Options |= index.OptNeedsUnlink
	}
	return out, nil
}
