package mailbox

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sort"

	"gyrus/lib/mailbox/index"
)

// Msg is what a View keeps per message: enough for sequence numbers,
// FLAGS, MODSEQ and EXPUNGE bookkeeping (40 bytes), the rest is read from
// the index on demand.
type Msg struct {
	UID       uint32
	RecNo     uint32 // record number in the view's index generation
	Flags     uint32 // system flags | internal flags
	UserFlags [4]uint32
	ModSeq    uint64
	Size      uint32 // RFC822.SIZE (fills the struct's padding)
}

// Expunged reports whether the message is expunged in the index (a view
// keeps it until Purge).
func (m *Msg) Expunged() bool { return m.Flags&index.InternalExpunged != 0 }

// SystemFlags returns the system flag bits.
func (m *Msg) SystemFlags() uint32 { return m.Flags & 0xffff }

// View is a session's picture of a mailbox: the messages it has been
// told about, by sequence number. Refresh brings it up to date cheaply:
// when nothing changed it costs a lock and a header read; otherwise it
// reads only records appended since, and the modseq of the records it
// has (8 bytes each, from the shared mapping). Messages expunged by
// others stay in the view, marked, until the session calls Purge at a
// moment the protocol allows EXPUNGE/VANISHED responses (RFC 3501 7.4.1).
//
// A View belongs to the goroutine that uses its Mailbox.
type View struct {
	mb        *Mailbox
	m         *indexMap
	hdr       index.Header
	flagNames [index.MaxUserFlags]string
	msgs      []Msg
	nrec      uint32 // records of this generation already looked at
	modseq    uint64 // highest modseq already looked at
}

// Changes is what a Refresh found.
type Changes struct {
	// Appended messages are at the end of the view: sequence numbers
	// Len()-Appended+1 .. Len().
	Appended int
	// Changed are the sequence numbers of messages whose flags or modseq
	// changed (not expunged).
	Changed []uint32
	// Expunged are the sequence numbers of messages newly found expunged;
	// they stay in the view until Purge.
	Expunged []uint32
	// FlagsChanged: the user flag names of the mailbox changed.
	FlagsChanged bool
}

// Empty reports whether nothing changed.
func (c *Changes) Empty() bool {
	return c.Appended == 0 && len(c.Changed) == 0 && len(c.Expunged) == 0 && !c.FlagsChanged
}

// NewView returns a view of the mailbox as it is now: every message that
// is not expunged.
func (mb *Mailbox) NewView() (*View, error) {
	v := &View{mb: mb}
	if _, err := v.Refresh(); err != nil {
		return nil, err
	}
	return v, nil
}

// Close releases the view's hold on the index mapping.
func (v *View) Close() {
	if v.m != nil {
		v.m.release()
		v.m = nil
	}
}

// Header is the index header as of the last Refresh.
func (v *View) Header() index.Header { return v.hdr }

// UserFlags are the user flag names by slot as of the last Refresh.
func (v *View) UserFlags() *[index.MaxUserFlags]string { return &v.flagNames }

// Len is the number of messages in the view (EXISTS), expunged ones not
// yet purged included.
func (v *View) Len() uint32 { return uint32(len(v.msgs)) }

// Msg returns message seq (1-based); nil if out of range.
func (v *View) Msg(seq uint32) *Msg {
	if seq == 0 || seq > uint32(len(v.msgs)) {
		return nil
	}
	return &v.msgs[seq-1]
}

// UID returns the UID of message seq (0 if out of range).
func (v *View) UID(seq uint32) uint32 {
	if m := v.Msg(seq); m != nil {
		return m.UID
	}
	return 0
}

// Seq returns the sequence number of uid, and whether it is in the view.
// When it is not, seq is the number of messages with a smaller UID (so
// seq+1 is where it would be): what UID ranges need.
func (v *View) Seq(uid uint32) (seq uint32, ok bool) {
	i := sort.Search(len(v.msgs), func(i int) bool { return v.msgs[i].UID >= uid })
	if i < len(v.msgs) && v.msgs[i].UID == uid {
		return uint32(i + 1), true
	}
	return uint32(i), false
}

// UIDRange returns the sequence numbers lo..hi (inclusive, 1-based) of
// the messages whose UIDs are in [first, last]; hi < lo when none.
func (v *View) UIDRange(first, last uint32) (lo, hi uint32) {
	lo = uint32(sort.Search(len(v.msgs), func(i int) bool { return v.msgs[i].UID >= first })) + 1
	hi = uint32(sort.Search(len(v.msgs), func(i int) bool { return v.msgs[i].UID > last }))
	return lo, hi
}

// UIDNext is the next UID the mailbox will give.
func (v *View) UIDNext() uint32 { return v.hdr.LastUID + 1 }

// HighestModSeq as of the last Refresh.
func (v *View) HighestModSeq() uint64 { return v.hdr.HighestModSeq }

// Refresh brings the view up to date under a shared index lock.
func (v *View) Refresh() (ch Changes, err error) {
	mb := v.mb
	if mb.closed {
		return ch, ErrClosed
	}
	if err := mb.rlock(); err != nil {
		return ch, err
	}
	defer mb.runlock()
	m := mb.m
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer m.guard(&err)

	h := mb.hdr
	if mb.mh.Flags != v.flagNames {
		ch.FlagsChanged = v.m != nil
		v.flagNames = mb.mh.Flags
	}
	switch {
	case v.m == nil:
		v.m = m.ref()
		v.hdr = h
		v.msgs = v.msgs[:0]
		err = v.loadNew(&h, 1, &ch)
		ch.Appended = 0 // a new view reports no changes
		ch.FlagsChanged = false
	case v.m != m:
		// a new generation (repack) or a bigger mapping of the same file
		if v.m.same2(m) {
			v.m.release()
			v.m = m.ref()
			err = v.update(&h, &ch)
		} else {
			v.m.release()
			v.m = m.ref()
			err = v.remap(&h, &ch)
		}
	default:
		err = v.update(&h, &ch)
	}
	v.hdr = h
	return ch, err
}

// same2 reports whether two maps are of the same inode.
func (m *indexMap) same2(o *indexMap) bool { return m.dev == o.dev && m.ino == o.ino }

// loadNew adds records from recno on that are not expunged.
func (v *View) loadNew(h *index.Header, from uint32, ch *Changes) error {
	if from <= h.NumRecords {
		if need := len(v.msgs) + int(h.NumRecords-from+1); need > cap(v.msgs) {
			nm := make([]Msg, len(v.msgs), need+need/8)
			copy(nm, v.msgs)
			v.msgs = nm
		}
	}
	for recno := from; recno <= h.NumRecords; recno++ {
		raw := v.m.raw(h, recno)
		r, err := v.parse(h, recno, raw)
		if err != nil {
			return err
		}
		if r.Expunged() {
			continue
		}
		if n := len(v.msgs); n > 0 && v.msgs[n-1].UID >= r.UID {
			return corruptf(v.m.path, h.RecordOffset(recno), "record %d: uid %d not above uid %d", recno, r.UID, v.msgs[n-1].UID)
		}
		v.msgs = append(v.msgs, msgOf(&r, recno))
		ch.Appended++
	}
	v.nrec = h.NumRecords
	if h.HighestModSeq > v.modseq {
		v.modseq = h.HighestModSeq
	}
	return nil
}

func msgOf(r *index.Record, recno uint32) Msg {
	return Msg{UID: r.UID, RecNo: recno, Flags: r.SystemFlags | r.InternalFlags, UserFlags: r.UserFlags, ModSeq: r.ModSeq, Size: r.Size}
}

// parse decodes a record, retrying once if its CRC looks wrong: without
// the lock a record may be caught half-written (we hold the shared lock
// here, so a failure is real damage).
func (v *View) parse(h *index.Header, recno uint32, raw []byte) (index.Record, error) {
	r, err := index.ParseRecord(raw, recno, h.RecordOffset(recno))
	return r, inFile(v.m.path, err)
}

// update looks at the records the view has (by modseq) and the new ones.
func (v *View) update(h *index.Header, ch *Changes) error {
	if h.Generation != v.hdr.Generation {
		return v.remap(h, ch)
	}
	if h.HighestModSeq == v.modseq && h.NumRecords == v.nrec {
		return nil
	}
	since := v.modseq
	for i := range v.msgs {
		mg := &v.msgs[i]
		raw := v.m.raw(h, mg.RecNo)
		if index.RecordModSeq(raw) <= since {
			continue
		}
		r, err := v.parse(h, mg.RecNo, raw)
		if err != nil {
			return err
		}
		if r.UID != mg.UID {
			return corruptf(v.m.path, h.RecordOffset(mg.RecNo), "record %d changed uid from %d to %d", mg.RecNo, mg.UID, r.UID)
		}
		wasExpunged := mg.Expunged()
		*mg = msgOf(&r, mg.RecNo)
		if mg.Expunged() {
			if !wasExpunged {
				ch.Expunged = append(ch.Expunged, uint32(i+1))
			}
		} else {
			ch.Changed = append(ch.Changed, uint32(i+1))
		}
	}
	return v.loadNew(h, v.nrec+1, ch)
}

// remap follows a repack: the records are renumbered, the expunged ones
// gone. Messages are matched by UID.
func (v *View) remap(h *index.Header, ch *Changes) error {
	recno := uint32(1)
	for i := range v.msgs {
		mg := &v.msgs[i]
		for recno <= h.NumRecords && index.RecordUID(v.m.raw(h, recno)) < mg.UID {
			recno++
		}
		if recno > h.NumRecords || index.RecordUID(v.m.raw(h, recno)) != mg.UID {
			// dropped by the repack: it had been expunged
			if !mg.Expunged() {
				mg.Flags |= index.InternalExpunged
				ch.Expunged = append(ch.Expunged, uint32(i+1))
			}
			mg.RecNo = 0
			continue
		}
		r, err := v.parse(h, recno, v.m.raw(h, recno))
		if err != nil {
			return err
		}
		changed := r.ModSeq > v.modseq
		wasExpunged := mg.Expunged()
		*mg = msgOf(&r, recno)
		if mg.Expunged() && !wasExpunged {
			ch.Expunged = append(ch.Expunged, uint32(i+1))
		} else if changed && !mg.Expunged() {
			ch.Changed = append(ch.Changed, uint32(i+1))
		}
	}
	// records with UIDs above what the view has are new
	var maxUID uint32
	if n := len(v.msgs); n > 0 {
		maxUID = v.msgs[n-1].UID
	}
	from := uint32(sort.Search(int(h.NumRecords), func(i int) bool {
		return index.RecordUID(v.m.raw(h, uint32(i+1))) > maxUID
	})) + 1
	v.nrec = from - 1
	return v.loadNew(h, from, ch)
}

// Expunged is one message removed from a view by Purge.
type Expunged struct {
	Seq uint32 // the number to send in "* <Seq> EXPUNGE", in this order
	UID uint32 // for VANISHED (RFC 7162)
}

// Purge removes the messages marked expunged from the view and returns
// them in ascending order, each Seq already adjusted for the ones before
// it (send the EXPUNGE responses in this order).
func (v *View) Purge() []Expunged {
	var out []Expunged
	j := 0
	for i := range v.msgs {
		if v.msgs[i].Expunged() {
			out = append(out, Expunged{Seq: uint32(i+1) - uint32(len(out)), UID: v.msgs[i].UID})
			continue
		}
		v.msgs[j] = v.msgs[i]
		j++
	}
	v.msgs = v.msgs[:j]
	return out
}

// Record reads the full index record of message seq from the view's
// generation of the index. Records being rewritten are read under the
// shared lock if their CRC does not check out the first time.
func (v *View) Record(seq uint32) (r index.Record, err error) {
	mg := v.Msg(seq)
	if mg == nil {
		return r, fmt.Errorf("sequence number %d out of range (1..%d)", seq, len(v.msgs))
	}
	if mg.RecNo == 0 {
		return r, fmt.Errorf("uid %d: %w", mg.UID, ErrExpunged)
	}
	r, err = v.m.record(&v.hdr, mg.RecNo)
	if err != nil && errors.Is(err, ErrCorrupt) && v.mb.tx == nil {
		// maybe torn by a concurrent rewrite: retry under the lock
		if lerr := v.mb.rlock(); lerr != nil {
			return r, lerr
		}
		r, err = v.m.record(&v.hdr, mg.RecNo)
		v.mb.runlock()
	}
	if err == nil && r.UID != mg.UID {
		return r, fmt.Errorf("%w (record %d has uid %d, view expects %d)", ErrStale, mg.RecNo, r.UID, mg.UID)
	}
	return r, err
}

// Cache reads the cyrus.cache entry of message seq (ENVELOPE,
// BODYSTRUCTURE... without parsing the message), checking its CRC.
func (v *View) Cache(seq uint32) (index.CacheEntry, error) {
	r, err := v.Record(seq)
	if err != nil {
		return index.CacheEntry{}, err
	}
	return v.cacheEntry(&r, true)
}

// CacheOf reads the cache entry of a record read from this view.
func (v *View) CacheOf(r *index.Record) (index.CacheEntry, error) { return v.cacheEntry(r, true) }

// CacheOfShared is CacheOf without copying the entry: its bytes are
// valid until the view reads the next cache entry. For answers written
// out at once (FETCH ENVELOPE, BODYSTRUCTURE of a whole mailbox).
func (v *View) CacheOfShared(r *index.Record) (index.CacheEntry, error) {
	return v.cacheEntry(r, false)
}

func (v *View) cacheEntry(r *index.Record, copyOut bool) (index.CacheEntry, error) {
	m := v.m
	c := m.cache
	if r.InternalFlags&index.InternalArchived != 0 && v.mb.loc.separateArchive() {
		c = m.acache
	}
	if c == nil {
		rollForward := v.mb.m == m
		if rollForward && v.mb.tx == nil {
			if err := v.mb.rlock(); err != nil {
				return index.CacheEntry{}, err
			}
			defer v.mb.runlock()
			rollForward = v.mb.m.same2(m)
		}
		var err error
		c, err = v.mb.cacheFor(m, v.hdr.Generation, r, rollForward)
		if err != nil {
			if errors.Is(err, ErrCorrupt) && !rollForward {
				return index.CacheEntry{}, fmt.Errorf("%w: %v", ErrStale, err)
			}
			return index.CacheEntry{}, err
		}
	}
	e, err := c.entryOf(r.CacheOffset, r.CacheCRC, copyOut)
	if err != nil {
		var ce *index.CorruptError
		if errors.As(err, &ce) {
			ce.Record, ce.UID = 0, r.UID
		}
	}
	return e, err
}

// OpenMessage opens the file of message seq. The caller reads it with
// ReadAt (or io.NewSectionReader for a byte range; the SECTION cache item
// gives part offsets) and closes it. A file that is gone gives
// ErrExpunged.
func (v *View) OpenMessage(seq uint32) (*os.File, error) {
	mg := v.Msg(seq)
	if mg == nil {
		return nil, fmt.Errorf("sequence number %d out of range", seq)
	}
	return v.mb.OpenMessage(mg.UID)
}

// OpenMessage opens the file of message uid.
func (mb *Mailbox) OpenMessage(uid uint32) (*os.File, error) {
	return mb.openRecordFile(uid)
}

// ForEachRecord calls fn for every record of the index (expunged ones
// included), in UID order, under the shared index lock: for tools
// (mbexamine, cyr_expire, reconstruct checks). fn must not begin a
// transaction on this handle.
func (mb *Mailbox) ForEachRecord(fn func(recno uint32, r *index.Record) error) (err error) {
	if mb.closed {
		return ErrClosed
	}
	if err := mb.rlock(); err != nil {
		return err
	}
	defer mb.runlock()
	m := mb.m
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer m.guard(&err)
	h := mb.hdr
	for recno := uint32(1); recno <= h.NumRecords; recno++ {
		r, err := m.record(&h, recno)
		if err != nil {
			return err
		}
		if err := fn(recno, &r); err != nil {
			return err
		}
	}
	return nil
}

// CacheEntry reads the cache entry of a record obtained from
// ForEachRecord or a transaction.
func (mb *Mailbox) CacheEntry(r *index.Record) (index.CacheEntry, error) {
	if err := mb.rlock(); err != nil {
		return index.CacheEntry{}, err
	}
	defer mb.runlock()
	c, err := mb.cacheFor(mb.m, mb.hdr.Generation, r, true)
	if err != nil {
		return index.CacheEntry{}, err
	}
	return c.entry(r.CacheOffset, r.CacheCRC)
}
