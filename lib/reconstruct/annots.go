package reconstruct

import (
	"errors"
	"os"
	"sort"

	"gyrus/lib/annotate"
	"gyrus/lib/cyrusdb"
	"gyrus/lib/mailbox/index"
)

// msgAnnot is one per-message annotation of cyrus.annotations.
type msgAnnot struct {
	key    string
	entry  string
	userid string // as stored (owner token for the owner)
	value  []byte
}

// annotUID is a UID that has annotations, for the merge with the records.
type annotUID struct {
	uid     uint32
	snoozed bool
}

// openAnnotations reads the whole of cyrus.annotations (it is small: a
// few entries per message at most).
func (b *box) openAnnotations() error {
	b.annots = map[uint32][]msgAnnot{}
	if _, err := os.Stat(b.annotPath()); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	backend := b.r.env.Mailbox.AnnotationDB
	if backend == "" {
		backend = "twoskip"
	}
	db, err := cyrusdb.Open(b.annotPath(), backend, 0)
	if err != nil {
		return err
	}
	b.annot = db
	return db.Foreach(nil, func(k, v []byte) error {
		uid, entry, userid, err := index.ParseAnnotationKey(k)
		if err != nil || uid == 0 {
			return nil
		}
		av, err := index.ParseAnnotationValue(v)
		if err != nil || av.Deleted || len(av.Value) == 0 {
			return nil
		}
		b.annots[uid] = append(b.annots[uid], msgAnnot{key: string(k), entry: entry, userid: userid,
			value: append([]byte(nil), av.Value...)})
		return nil
	})
}

// findAnnots lists the UIDs that have annotations, in order (Cyrus
// find_annots), noting which have the shared snoozed annotation.
func (b *box) findAnnots() ([]annotUID, error) {
	out := make([]annotUID, 0, len(b.annots))
	for uid, as := range b.annots {
		au := annotUID{uid: uid}
		for _, a := range as {
			if a.userid == "" && a.entry == index.AnnotNS+"snoozed" {
				au.snoozed = true
			}
		}
		out = append(out, au)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].uid < out[j].uid })
	return out, nil
}

// annotValue reports whether uid has a shared value for entry.
func (b *box) annotValue(uid uint32, entry string) bool {
	for _, a := range b.annots[uid] {
		if a.entry == entry && a.userid == "" {
			return true
		}
	}
	return false
}

// annotDelete drops the shared value of entry for uid (at commit).
func (b *box) annotDelete(uid uint32, entry string) {
	as := b.annots[uid]
	for i := 0; i < len(as); i++ {
		if as[i].entry == entry && as[i].userid == "" {
			b.annotDels = append(b.annotDels, as[i].key)
			as = append(as[:i], as[i+1:]...)
			i--
		}
	}
	b.annots[uid] = as
}

// annotDeleteUID drops every annotation of uid (at commit).
func (b *box) annotDeleteUID(uid uint32) {
	for _, a := range b.annots[uid] {
		b.annotDels = append(b.annotDels, a.key)
	}
	delete(b.annots, uid)
}

// messageAnnots is a message's share of synccrcs.annot and of
// quota_annot_used.
func (b *box) messageAnnots(uid uint32) (crc, used uint32) {
	for _, a := range b.annots[uid] {
		if !index.IsVirtualAnnotation(a.entry) {
			userid := a.userid
			if userid == index.OwnerToken {
				userid = b.loc.Owner
			}
			crc ^= index.CRCAnnot(uid, a.entry, userid, a.value)
		}
		used += uint32(len(a.value))
	}
	return crc, used
}

// mailboxAnnotBytes is what the mailbox's own annotations (in the global
// annotations.db) count in quota_annot_used.
func (b *box) mailboxAnnotBytes() uint32 {
	db := b.r.env.Annot
	if db == nil || b.mh == nil {
		return 0
	}
	as, err := db.List(annotate.Target{UniqueID: b.mh.UniqueID, Owner: b.loc.Owner})
	if err != nil {
		return 0
	}
	var n uint32
	for _, a := range as {
		n += uint32(len(a.Value))
	}
	return n
}

// writeAnnotations applies the deletions in one transaction.
func (b *box) writeAnnotations() error {
	if b.annot == nil || len(b.annotDels) == 0 {
		return nil
	}
	tx, err := b.annot.Begin()
	if err != nil {
		return err
	}
	for _, k := range b.annotDels {
		if err := tx.Delete([]byte(k)); err != nil && !errors.Is(err, cyrusdb.ErrNotFound) {
			tx.Abort()
			return err
		}
	}
	return tx.Commit()
}
