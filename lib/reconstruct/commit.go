package reconstruct

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
)

// commit writes what reconstruct decided, in lib/mailbox's commit order:
// message directory, cache, annotations, cyrus.header, records, index
// header. Nothing is written when nothing changed.
func (b *box) commit() error {
	if b.mhDirty {
		b.changed = true
	}
	if !b.fresh && !b.changed && len(b.annotDels) == 0 &&
		bytes.Equal(b.old.Bytes(), b.h.Bytes()) {
		return nil
	}
	for _, d := range []string{b.loc.Dir, b.loc.MetaDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if b.dirChanged {
		if err := fsyncDir(b.loc.Dir); err != nil {
			return err
		}
	}
	if b.adirChanged {
		if err := fsyncDir(b.loc.ArchiveDir); err != nil {
			return err
		}
	}
	if err := b.cache.write(); err != nil {
		return fmt.Errorf("cyrus.cache: %w", err)
	}
	if b.cache.replace {
		if err := fsyncDir(b.loc.MetaDir); err != nil {
			return err
		}
	}
	// the archive directory's cyrus.cache (archived records' entries)
	if b.separateArchive() && b.acache.willWrite() {
		if err := os.MkdirAll(b.loc.ArchiveDir, 0o755); err != nil {
			return err
		}
		replace := b.acache.replace
		if err := b.acache.write(); err != nil {
			return fmt.Errorf("archive cyrus.cache: %w", err)
		}
		if replace {
			if err := fsyncDir(b.loc.ArchiveDir); err != nil {
				return err
			}
		}
	}
	if err := b.writeAnnotations(); err != nil {
		return fmt.Errorf("cyrus.annotations: %w", err)
	}
	if b.mhDirty {
		data := b.mh.Marshal()
		if err := writeFileSync(b.headerPath(), data); err != nil {
			return fmt.Errorf("cyrus.header: %w", err)
		}
		if err := fsyncDir(b.loc.MetaDir); err != nil {
			return err
		}
		b.mhCRC = index.FileCRC(data)
	}
	b.h.HeaderFileCRC = b.mhCRC
	if b.fresh {
		return b.writeFresh()
	}
	f := b.idx
	rb := make([]byte, index.RecordSize)
	for i := range b.recs {
		rc := &b.recs[i]
		if !rc.dirty {
			continue
		}
		rc.Marshal(rb)
		if _, err := f.WriteAt(rb, b.h.RecordOffset(rc.recno)); err != nil {
			return err
		}
	}
	if len(b.apps) > 0 {
		buf := make([]byte, 0, len(b.apps)*index.RecordSize)
		for i := range b.apps {
			buf = append(buf, b.apps[i].Bytes()...)
		}
		off := b.h.RecordOffset(uint32(len(b.recs) + 1))
		if _, err := f.WriteAt(buf, off); err != nil {
			return err
		}
	}
	if _, err := f.WriteAt(b.h.Bytes(), 0); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", f.Name(), err)
	}
	b.chargeQuota()
	return nil
}

// writeFresh writes a whole new cyrus.index through cyrus.index.NEW.
func (b *box) writeFresh() error {
	h := b.h
	h.NumRecords = uint32(len(b.recs) + len(b.apps))
	buf := make([]byte, 0, index.HeaderSize+int(h.NumRecords)*index.RecordSize)
	buf = append(buf, h.Bytes()...)
	for i := range b.recs {
		buf = append(buf, b.recs[i].Bytes()...)
	}
	for i := range b.apps {
		buf = append(buf, b.apps[i].Bytes()...)
	}
	if err := os.MkdirAll(b.loc.MetaDir, 0o755); err != nil {
		return err
	}
	if err := writeFileSync(b.indexPath(), buf); err != nil {
		return fmt.Errorf("cyrus.index: %w", err)
	}
	return fsyncDir(b.loc.MetaDir)
}

// chargeQuota hands the usage change to the quota root, as Cyrus's
// commit does. After a rebuild from scratch the old usage is unknown and
// nothing is charged: quota -f recounts.
func (b *box) chargeQuota() {
	q := b.r.env.Quota
	if q == nil || !b.oldOK || b.mh.QuotaRoot == "" {
		return
	}
	before := mailbox.Usage{Storage: int64(b.old.QuotaMailboxUsed), Messages: int64(b.old.Exists), AnnotStorage: int64(b.old.QuotaAnnotUsed)}
	after := mailbox.Usage{Storage: int64(b.h.QuotaMailboxUsed), Messages: int64(b.h.Exists), AnnotStorage: int64(b.h.QuotaAnnotUsed)}
	if d := after.Sub(before); !d.IsZero() {
		q.Charge(b.mh.QuotaRoot, d)
	}
}

// move puts a by-uuid mailbox whose uniqueid was replaced (-I) into the
// directory of its new uniqueid.
func (b *box) move() error {
	if b.moveTo == nil {
		return nil
	}
	moves := [][2]string{{b.loc.Dir, b.moveTo.Dir}, {b.loc.MetaDir, b.moveTo.MetaDir}}
	if b.separateArchive() && b.moveTo.ArchiveDir != "" {
		moves = append(moves, [2]string{b.loc.ArchiveDir, b.moveTo.ArchiveDir})
	}
	for _, p := range moves {
		if _, err := os.Stat(p[0]); err != nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p[1]), 0o755); err != nil {
			return err
		}
		if err := os.Rename(p[0], p[1]); err != nil {
			return err
		}
		fsyncDir(filepath.Dir(p[1]))
	}
	return nil
}
