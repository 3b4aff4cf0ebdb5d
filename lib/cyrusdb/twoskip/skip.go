package twoskip

// loc is a position in the skiplist (Cyrus's struct skiploc): the record
// found (exact) or the one just before the key, and at every level the
// record pointing at that position (back) and where it points (fwd).
type loc struct {
	key   []byte // copy of the key asked for
	exact bool
	rec   record
	back  [maxLevel + 1]uint64
	fwd   [maxLevel + 1]uint64
	gen   uint64
	end   uint64
	valid bool
}

// getloc reads the next pointer of r at logical level: level 0 has two
// slots, of which the larger one still inside the committed (or our own)
// data wins.
func (d *DB) getloc(r *record, level int) uint64 {
	if level > 0 {
		return d.ptr(r, level+1)
	}
	p0, p1 := d.ptr(r, 0), d.ptr(r, 1)
	if p0 >= d.end {
		return p1
	}
	if p1 >= d.end {
		return p0
	}
	if p0 > p1 {
		return p0
	}
	return p1
}

// setloc sets logical level `level` of r's head h (from editHead) to
// off. For level 0 it overwrites the slot already written in this
// transaction, else the older (smaller) one, so the other slot keeps the
// committed successor.
func (d *DB) setloc(r *record, h []byte, level int, off uint64) {
	if level > 0 {
		be.PutUint64(r.slot(h, level+1), off)
		return
	}
	s0, s1 := r.slot(h, 0), r.slot(h, 1)
	p0, p1 := be.Uint64(s0), be.Uint64(s1)
	cs := d.hdr.currentSize
	switch {
	case p0 >= cs:
		be.PutUint64(s0, off)
	case p1 >= cs:
		be.PutUint64(s1, off)
	case p1 > p0:
		be.PutUint64(s0, off)
	default:
		be.PutUint64(s1, off)
	}
}

// maxSteps bounds pointer chasing so that a corrupt file with a pointer
// cycle ends in an error rather than a hang.
func (d *DB) maxSteps() int { return int(d.limit()/8) + 64 }

// relocate finds d.loc.key from the DUMMY down (Cyrus relocate).
func (d *DB) relocate() error {
	l := &d.loc
	l.gen = d.hdr.generation
	l.end = d.end
	l.valid = true
	l.exact = false
	rec, err := d.readRecord(dummyOffset)
	if err != nil {
		l.valid = false
		return err
	}
	if rec.typ != typeDummy || rec.level != maxLevel {
		l.valid = false
		return d.corrupt(dummyOffset, "first record is not the DUMMY")
	}
	l.rec = rec
	level := int(rec.level)
	l.back[level] = rec.off
	l.fwd[level] = 0
	if len(l.key) == 0 {
		for i := 0; i < int(rec.level); i++ {
			l.back[i] = rec.off
			l.fwd[i] = d.getloc(&rec, i)
		}
		return nil
	}
	var nr record
	var oldoff uint64
	cmp := -1
	steps := d.maxSteps()
	for level > 0 {
		if steps--; steps < 0 {
			l.valid = false
			return d.corrupt(l.rec.off, "pointer loop")
		}
		off := d.getloc(&l.rec, level-1)
		l.back[level-1] = l.rec.off
		l.fwd[level-1] = off
		if off != oldoff {
			oldoff = off
			if nr, err = d.readSkipDelete(off); err != nil {
				l.valid = false
				return err
			}
			if nr.off != 0 {
				if int(nr.level) < level {
					l.valid = false
					return d.corrupt(nr.off, "record of level %d linked at level %d", nr.level, level-1)
				}
				cmp = d.cmp(d.key(&nr), l.key)
				if cmp < 0 {
					l.rec = nr
					continue
				}
			}
		}
		level--
	}
	if cmp == 0 {
		l.exact = true
		l.rec = nr
		for i := 0; i < int(nr.level); i++ {
			l.fwd[i] = d.getloc(&nr, i)
		}
		if err := d.checkTail(&nr); err != nil {
			l.valid = false
			return err
		}
	}
	return nil
}

// findLoc positions d.loc at key. Like Cyrus's find_loc it reuses the
// current position when nothing was written since it was found: the same
// key costs nothing, and the key just after it (iteration, checkpoint,
// sorted batch inserts) costs one record read instead of a descent.
func (d *DB) findLoc(key []byte) error {
	l := &d.loc
	if !l.valid || len(key) == 0 || l.end != d.end || l.gen != d.hdr.generation || l.rec.off == 0 {
		l.key = append(l.key[:0], key...)
		return d.relocate()
	}
	cmp := d.cmp(d.key(&l.rec), key)
	if cmp == 0 && l.exact {
		if string(l.key) != string(key) {
			l.key = append(l.key[:0], key...)
		}
		return nil
	}
	l.key = append(l.key[:0], key...)
	if cmp >= 0 {
		// Going back: the back pointers are no use.
		return d.relocate()
	}
	// key sorts after the current record: is it right after it?
	next, err := d.readSkipDelete(l.fwd[0])
	if err != nil {
		l.valid = false
		return err
	}
	if next.off != 0 {
		cmp = d.cmp(d.key(&next), key)
		if cmp < 0 {
			return d.relocate() // further on: search
		}
	}
	for i := 0; i < int(l.rec.level); i++ {
		l.back[i] = l.rec.off
	}
	if next.off == 0 || cmp > 0 {
		// In the gap between l.rec and next. fwd already holds
		// l.rec's own pointers below its level (whether l.rec was
		// found exactly or as the record before a gap), and the higher
		// ones lead past next.
		l.exact = false
		return nil
	}
	l.exact = true
	l.rec = next
	for i := 0; i < int(next.level); i++ {
		l.fwd[i] = d.getloc(&next, i)
	}
	if err := d.checkTail(&next); err != nil {
		l.valid = false
		return err
	}
	return nil
}

// advance moves d.loc to the next record (Cyrus advance_loc). At the end
// the loc is left not exact.
func (d *DB) advance() error {
	l := &d.loc
	if !l.valid || l.end != d.end || l.gen != d.hdr.generation {
		if err := d.relocate(); err != nil {
			return err
		}
	}
	for i := 0; i < int(l.rec.level); i++ {
		l.back[i] = l.rec.off
	}
	r, err := d.readSkipDelete(l.fwd[0])
	if err != nil {
		l.valid = false
		return err
	}
	if r.off == 0 {
		l.key = l.key[:0]
		return d.relocate()
	}
	l.rec = r
	for i := 0; i < int(r.level); i++ {
		l.fwd[i] = d.getloc(&r, i)
	}
	l.key = append(l.key[:0], d.key(&r)...)
	l.exact = true
	if err := d.checkTail(&r); err != nil {
		l.valid = false
		return err
	}
	return nil
}

// stitch points every record in d.loc.back, up to maxlevel, at the
// matching d.loc.fwd entry, then makes the record at newoff current.
func (d *DB) stitch(maxlevel int, newoff uint64) error {
	l := &d.loc
	level := 0
	for level < maxlevel {
		r, err := d.readRecord(l.back[level])
		if err != nil {
			return err
		}
		if int(r.level) <= level || (r.typ != typeRecord && r.typ != typeDummy) {
			return d.corrupt(r.off, "back pointer at level %d names a record of level %d", level, r.level)
		}
		h := d.editHead(&r)
		for i := level; i < maxlevel && i < int(r.level); i++ {
			d.setloc(&r, h, i, l.fwd[i])
		}
		if err := d.saveHead(&r, h); err != nil {
			return err
		}
		level = int(r.level)
	}
	r, err := d.readRecord(newoff)
	if err != nil {
		return err
	}
	l.rec = r
	for i := 0; i < int(r.level); i++ {
		l.fwd[i] = d.getloc(&r, i)
	}
	return nil
}

// storeHere appends a new RECORD for d.loc.key and links it in; a
// replaced record is simply unlinked.
func (d *DB) storeHere(val []byte) error {
	l := &d.loc
	level := 0
	if l.exact {
		level = int(l.rec.level)
		d.hdr.numRecords--
	}
	nl := d.newLevel()
	var ptrs [maxLevel + 1]uint64
	for i := 0; i < int(nl); i++ {
		ptrs[i+1] = l.fwd[i]
	}
	if int(nl) > level {
		level = int(nl)
	}
	off, err := d.appendRecord(typeRecord, nl, ptrs[:nl+1], l.key, val)
	if err != nil {
		return err
	}
	for i := 0; i < int(nl); i++ {
		l.fwd[i] = off
	}
	if err := d.stitch(level, off); err != nil {
		return err
	}
	d.hdr.numRecords++
	l.exact = true
	l.end = d.end
	return nil
}

// deleteHere appends a DELETE pointing past the found record and links
// the predecessors to it.
func (d *DB) deleteHere() error {
	l := &d.loc
	d.hdr.numRecords--
	next, err := d.readSkipDelete(l.fwd[0])
	if err != nil {
		return err
	}
	ptrs := [1]uint64{next.off}
	off, err := d.appendRecord(typeDelete, 0, ptrs[:], nil, nil)
	if err != nil {
		return err
	}
	l.fwd[0] = off
	if err := d.stitch(int(l.rec.level), l.back[0]); err != nil {
		return err
	}
	l.exact = false
	l.end = d.end
	return nil
}

// write is Cyrus's skipwrite: val == nil deletes.
func (d *DB) write(key, val []byte, overwrite bool) error {
	if err := d.findLoc(key); err != nil {
		return err
	}
	if d.loc.exact {
		if val == nil {
			return d.deleteHere()
		}
		if !overwrite {
			return errExists
		}
		if string(d.val(&d.loc.rec)) == string(val) {
			return nil // unchanged: save the IO
		}
		return d.storeHere(val)
	}
	if val == nil {
		return nil
	}
	return d.storeHere(val)
}
