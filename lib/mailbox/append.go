package mailbox

import (
	"errors"
	"fmt"
	"os"
	"time"

	"gyrus/lib/mailbox/index"
)

// NewMessage is one message to append.
type NewMessage struct {
	// The bytes: a staged file (Stage), linked or copied into the
	// mailbox; or Path, an existing durable file such as another
	// mailbox's message (COPY), linked or copied the same way.
	Staged *Staged
	Path   string

	Info MessageInfo

	InternalDate time.Time // zero: now
	SystemFlags  uint32    // index.Flag* bits
	UserFlags    [4]uint32 // see Tx.UserFlagBits
	// SaveDate and CreatedModSeq are kept when set (replication); zero
	// means "now" and "this append's modseq".
	SaveDate      uint32
	CreatedModSeq uint64
	// IgnoreQuota skips the quota check (the usage is still charged).
	IgnoreQuota bool
}

// Append adds a message with the next UID. The message file is placed
// (and the data directory fsynced at commit); the record, its cache entry
// and the counters are written by Commit. Appends of one transaction
// share their fsyncs, so a batch costs about as much as one message.
func (tx *Tx) Append(m *NewMessage) (index.Record, error) {
	if err := tx.check(); err != nil {
		return index.Record{}, err
	}
	mi := &m.Info
	if err := checkInfo(mi); err != nil {
		return index.Record{}, err
	}
	src := m.Path
	if m.Staged != nil {
		p, err := m.Staged.pathFor(tx.mb.loc.StageDir)
		if err != nil {
			return index.Record{}, err
		}
		src = p
		if uint32(m.Staged.Size) != mi.Size || m.Staged.GUID != mi.GUID {
			return index.Record{}, errors.New("mailbox: message info does not describe the staged file")
		}
	}
	if src == "" {
		return index.Record{}, errors.New("mailbox: append without a message file")
	}
	if m.Staged == nil {
		st, err := os.Stat(src)
		if err != nil {
			return index.Record{}, err
		}
		if st.Size() != int64(mi.Size) {
			return index.Record{}, fmt.Errorf("mailbox: %s has %d bytes, message info says %d", src, st.Size(), mi.Size)
		}
	}
	if !m.IgnoreQuota {
		if err := tx.checkQuota(Usage{Storage: int64(mi.Size), Messages: 1}); err != nil {
			return index.Record{}, err
		}
	}
	idate := m.InternalDate
	if idate.IsZero() {
		idate = tx.mb.opts.now()
	}
	uid := tx.h.LastUID + 1
	dst := tx.mb.loc.MessagePath(uid)
	mtime := time.Unix(idate.Unix(), 0)
	copied, err := placeFile(src, dst, tx.mb.opts.SingleInstanceStore, mtime)
	if errors.Is(err, os.ErrNotExist) {
		// the data directory is looked for only when the file cannot be
		// placed (Create makes it; a crash or a sysadmin may remove it)
		if derr := ensureDir(tx.mb.loc.Dir); derr != nil {
			return index.Record{}, derr
		}
		copied, err = placeFile(src, dst, tx.mb.opts.SingleInstanceStore, mtime)
	}
	if err != nil {
		return index.Record{}, err
	}
	tx.newFiles = append(tx.newFiles, dst)
	tx.syncDirs[tx.mb.loc.Dir] = true
	switch {
	case copied:
		tx.syncFiles = append(tx.syncFiles, fileToSync{path: dst})
	case m.Staged != nil && !m.Staged.isSynced(src):
		tx.syncFiles = append(tx.syncFiles, fileToSync{path: dst, staged: m.Staged, stagedPath: src})
	}
	// a file linked from another mailbox (Path) is on disk already

	off, err := tx.addCache(mi.Cache)
	if err != nil {
		return index.Record{}, err
	}
	r := index.Record{
		UID:           uid,
		InternalDate:  uint32(idate.Unix()),
		SentDate:      mi.SentDate,
		Size:          mi.Size,
		HeaderSize:    mi.HeaderSize,
		GMTime:        mi.GMTime,
		CacheOffset:   off,
		SystemFlags:   m.SystemFlags & index.SystemFlagsMask,
		UserFlags:     m.UserFlags,
		SaveDate:      m.SaveDate,
		CacheVersion:  index.CacheVersion,
		GUID:          mi.GUID,
		CreatedModSeq: m.CreatedModSeq,
		CacheCRC:      index.CacheCRC(mi.Cache),
	}
	if r.GMTime == 0 {
		r.GMTime = r.InternalDate
	}
	if r.SentDate == 0 {
		// Cyrus: the internal date truncated to the local day
		t := time.Unix(int64(r.InternalDate), 0).Local()
		r.SentDate = uint32(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local).Unix())
	}
	r, err = tx.appendRecord(r, false)
	if err != nil {
		return r, err
	}
	tx.appended++
	return r, nil
}
