package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"

	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/twoskip" // cyrus.annotations is twoskip (annotation_db)
	"gyrus/lib/mailbox/index"
)

// Per-message annotations live in the mailbox's cyrus.annotations
// (spec/formats.md §11.5). Writes are buffered in the transaction and
// applied in one cyrusdb transaction at commit, after the quota charge,
// so that the annotations lock is only ever taken after the index lock
// and the quota lock (DESIGN.md §4).

type annotWrite struct {
	uid    uint32
	entry  string
	userid string // stored form (owner token for the owner)
	value  []byte // nil with del: delete the key outright
	modseq uint64
	del    bool // remove the key (cleanup), not a tombstone
}

func (w *annotWrite) key() string { return string(index.AnnotationKey(w.uid, w.entry, w.userid)) }

// storedUserID maps a userid to what cyrus.annotations stores: "" for
// shared values, the owner token for the mailbox owner.
func (l *Location) storedUserID(userid string) string {
	if userid != "" && l.Owner != "" && userid == l.Owner {
		return index.OwnerToken
	}
	return userid
}

func (l *Location) realUserID(stored string) string {
	if stored == index.OwnerToken {
		return l.Owner
	}
	return stored
}

// annotDB opens cyrus.annotations (creating it if create) and caches it
// on the handle.
func (mb *Mailbox) annotDB(create bool) (*cyrusdb.DB, error) {
	if mb.annot != nil {
		return mb.annot, nil
	}
	var fl cyrusdb.Flags
	if create {
		fl = cyrusdb.Create
	}
	backend := mb.opts.AnnotationDB
	if backend == "" {
		backend = "twoskip"
	}
	db, err := cyrusdb.Open(mb.loc.annotationsPath(), backend, fl)
	if err != nil {
		return nil, err
	}
	mb.annot = db
	return db, nil
}

func (mb *Mailbox) closeAnnot() {
	if mb.annot != nil {
		mb.annot.Close()
		mb.annot = nil
	}
}

// Annotation is one per-message annotation.
type Annotation struct {
	Entry  string
	UserID string // "" for value.shared
	Value  []byte
	ModSeq uint64
}

// Annotations returns the annotations of message uid (shared ones and the
// private ones of every user; tombstones are left out).
func (mb *Mailbox) Annotations(uid uint32) ([]Annotation, error) {
	db, err := mb.annotDB(false)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Annotation
	err = db.Foreach(index.AnnotationPrefix(uid), func(k, v []byte) error {
		_, entry, userid, err := index.ParseAnnotationKey(k)
		if err != nil {
			return inFile(mb.loc.annotationsPath(), err)
		}
		av, err := index.ParseAnnotationValue(v)
		if err != nil {
			return inFile(mb.loc.annotationsPath(), err)
		}
		if av.Deleted || len(av.Value) == 0 {
			return nil
		}
		out = append(out, Annotation{Entry: entry, UserID: mb.loc.realUserID(userid),
			Value: append([]byte(nil), av.Value...), ModSeq: av.ModSeq})
		return nil
	})
	return out, err
}

// Annotation returns one annotation value (nil if there is none).
func (mb *Mailbox) Annotation(uid uint32, entry, userid string) ([]byte, error) {
	db, err := mb.annotDB(false)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v, err := db.Fetch(index.AnnotationKey(uid, entry, mb.loc.storedUserID(userid)))
	if errors.Is(err, cyrusdb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	av, err := index.ParseAnnotationValue(v)
	if err != nil {
		return nil, inFile(mb.loc.annotationsPath(), err)
	}
	return av.Value, nil
}

// txAnnotations returns the annotations of uid as the transaction sees
// them: what is in the database with the buffered writes on top. Keys are
// the stored keys.
func (tx *Tx) txAnnotations(uid uint32) (map[string]annotWrite, error) {
	out := map[string]annotWrite{}
	db, err := tx.mb.annotDB(false)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		err = db.Foreach(index.AnnotationPrefix(uid), func(k, v []byte) error {
			u, entry, userid, err := index.ParseAnnotationKey(k)
			if err != nil {
				return inFile(tx.mb.loc.annotationsPath(), err)
			}
			av, err := index.ParseAnnotationValue(v)
			if err != nil {
				return inFile(tx.mb.loc.annotationsPath(), err)
			}
			w := annotWrite{uid: u, entry: entry, userid: userid, value: append([]byte(nil), av.Value...), modseq: av.ModSeq}
			out[string(k)] = w
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, w := range tx.annots {
		if w.uid != uid {
			continue
		}
		if w.del {
			delete(out, w.key())
		} else {
			out[w.key()] = w
		}
	}
	return out, nil
}

// SetAnnotation sets (or with an empty value, removes) a per-message
// annotation of uid for userid ("" = shared). Like Cyrus it updates the
// annotation sync CRC and quota_annot_used, checks the
// X-ANNOTATION-STORAGE quota when the value grows, stores the value with
// a new modseq and gives the message a new modseq. Writing the same value
// again changes nothing. The virtual annotations (thrid, savedate,
// createdmodseq) live in the record and cannot be written here.
func (tx *Tx) SetAnnotation(uid uint32, entry, userid string, value []byte) error {
	if err := tx.check(); err != nil {
		return err
	}
	if index.IsVirtualAnnotation(entry) {
		return fmt.Errorf("mailbox: %s is kept in the index record, not in cyrus.annotations", entry)
	}
	recno := tx.findUID(uid)
	if recno == 0 {
		return fmt.Errorf("uid %d: %w", uid, ErrNotFound)
	}
	rec, err := tx.record(recno)
	if err != nil {
		return err
	}
	if rec.Expunged() {
		return fmt.Errorf("uid %d: %w", uid, ErrExpunged)
	}
	stored := tx.mb.loc.storedUserID(userid)
	cur, err := tx.txAnnotations(uid)
	if err != nil {
		return err
	}
	key := string(index.AnnotationKey(uid, entry, stored))
	oldv := cur[key].value
	if bytes.Equal(oldv, value) {
		return nil
	}
	if grow := int64(len(value)) - int64(len(oldv)); grow > 0 {
		if err := tx.checkQuota(Usage{AnnotStorage: grow}); err != nil {
			return err
		}
	}
	// the sync CRC uses the real userid, not the owner token (Cyrus
	// translates the token back before it calls mailbox_annot_changed)
	real := tx.mb.loc.realUserID(stored)
	tx.h.SyncCRCAnnot ^= index.CRCAnnot(uid, entry, real, oldv) ^ index.CRCAnnot(uid, entry, real, value)
	used := int64(tx.h.QuotaAnnotUsed) - int64(len(oldv))
	if used < 0 {
		used = 0
	}
	tx.h.QuotaAnnotUsed = uint32(used + int64(len(value)))
	ms := tx.nextModSeq()
	tx.annots = append(tx.annots, annotWrite{uid: uid, entry: entry, userid: stored,
		value: append([]byte(nil), value...), modseq: ms})
	// As with Cyrus 3.6.1, each annotation takes a modseq of the
	// mailbox, and the record one more, once, after all of them (at
	// Commit); a message appended in this transaction (COPY, APPEND with
	// annotations) keeps the modseq of its append (recorded:
	// test/imap/scripts/ext/metadata/annotate-copy).
	if recno <= tx.old.NumRecords && !slices.Contains(tx.annotTouched, recno) {
		tx.annotTouched = append(tx.annotTouched, recno)
	}
	return nil
}

// touchAnnotated gives each existing record whose annotations changed in
// the transaction its new modseq, after the annotations' own.
func (tx *Tx) touchAnnotated() error {
	for _, recno := range tx.annotTouched {
		rec, err := tx.record(recno)
		if err != nil {
			return err
		}
		if rec.Expunged() {
			continue
		}
		if err := tx.rewrite(recno, rec, false); err != nil {
			return err
		}
	}
	tx.annotTouched = nil
	return nil
}

// AddMailboxAnnotUsed adjusts quota_annot_used for a change of a
// mailbox-level annotation (kept in the global annotations.db by another
// package), as Cyrus's mailbox_annot_changed does for uid 0, and takes a
// new modseq.
func (tx *Tx) AddMailboxAnnotUsed(oldLen, newLen int) {
	used := int64(tx.h.QuotaAnnotUsed) - int64(oldLen)
	if used < 0 {
		used = 0
	}
	tx.h.QuotaAnnotUsed = uint32(used + int64(newLen))
	tx.nextModSeq()
}

// annotationsGone takes the annotations of a newly expunged message out
// of the annotation sync CRC and quota_annot_used (Cyrus
// mailbox_annot_update_counts with is_add=0). The entries stay in the
// database until the record is unlinked.
func (tx *Tx) annotationsGone(uid uint32) error {
	cur, err := tx.txAnnotations(uid)
	if err != nil {
		return err
	}
	for _, w := range cur {
		if len(w.value) == 0 {
			continue
		}
		if !index.IsVirtualAnnotation(w.entry) {
			tx.h.SyncCRCAnnot ^= index.CRCAnnot(uid, w.entry, tx.mb.loc.realUserID(w.userid), w.value)
		}
		if tx.h.QuotaAnnotUsed > uint32(len(w.value)) {
			tx.h.QuotaAnnotUsed -= uint32(len(w.value))
		} else {
			tx.h.QuotaAnnotUsed = 0
		}
	}
	return nil
}

// copyAnnotations copies the annotations of fromUID to toUID (unexpunge),
// counting them for the new message.
func (tx *Tx) copyAnnotations(fromUID, toUID uint32) error {
	cur, err := tx.txAnnotations(fromUID)
	if err != nil {
		return err
	}
	for _, w := range cur {
		if len(w.value) == 0 {
			continue
		}
		if !index.IsVirtualAnnotation(w.entry) {
			tx.h.SyncCRCAnnot ^= index.CRCAnnot(toUID, w.entry, tx.mb.loc.realUserID(w.userid), w.value)
		}
		tx.h.QuotaAnnotUsed += uint32(len(w.value))
		tx.annots = append(tx.annots, annotWrite{uid: toUID, entry: w.entry, userid: w.userid,
			value: w.value, modseq: tx.h.HighestModSeq})
	}
	return nil
}

// dropAnnotations deletes every key of uid (the record is being unlinked;
// its usage was already taken out when it was expunged).
func (tx *Tx) dropAnnotations(uid uint32) error {
	cur, err := tx.txAnnotations(uid)
	if err != nil {
		return err
	}
	for _, w := range cur {
		tx.annots = append(tx.annots, annotWrite{uid: uid, entry: w.entry, userid: w.userid, del: true})
	}
	return nil
}

// commitAnnotations applies the buffered writes in one transaction.
func (tx *Tx) commitAnnotations() error {
	if len(tx.annots) == 0 {
		return nil
	}
	db, err := tx.mb.annotDB(true)
	if err != nil {
		return err
	}
	t, err := db.Begin()
	if err != nil {
		return err
	}
	for i := range tx.annots {
		w := &tx.annots[i]
		k := index.AnnotationKey(w.uid, w.entry, w.userid)
		if w.del {
			err = t.Delete(k)
		} else {
			var fl byte
			if len(w.value) == 0 {
				fl = index.AnnotDeleted // keep a tombstone, as Cyrus does for messages
			}
			err = t.Store(k, index.EncodeAnnotationValue(w.value, w.modseq, fl))
		}
		if err != nil {
			t.Abort()
			return fmt.Errorf("%s: %w", tx.mb.loc.annotationsPath(), err)
		}
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("%s: %w", tx.mb.loc.annotationsPath(), err)
	}
	return nil
}
