package maint

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/reconstruct"
)

// The damage catalogue: each kind of damage is done to a copy of the
// same pristine spool twice, once repaired by Gyrus's reconstruct and
// once by the real Cyrus 3.6.1's; the two results are compared, and
// Gyrus's must keep every message whose file survived (with its flags
// where its record survived) and converge: a second run finds nothing.
//
// Pristine user.alice: live UIDs 1 2 4 6 7 8 9 10, UID 5 expunged with
// its file, UID 3 gone (a gap below last_uid 10); records 1..9 hold UIDs
// 1 2 4 5 6 7 8 9 10.

// cmpMode says how Gyrus's result is compared with Cyrus's.
type cmpMode int

const (
	cmpAll     cmpMode = iota // same UIDs, GUIDs, sizes and flags
	cmpNoFlags                // same UIDs, GUIDs, sizes; flags deliberately differ
	cmpGUIDs                  // same set of messages (GUIDs, sizes); UIDs differ deliberately
)

type damage struct {
	name  string
	box   string   // default user.alice
	opts  []string // reconstruct options (both)
	args  []string // reconstruct arguments instead of the mailbox name (both)
	cargs []string // Cyrus's arguments when they must differ
	apply func(t *testing.T, d *dctx)

	cmp     cmpMode
	differs string // the deliberate difference, for cmp != cmpAll or !sameOut
	sameOut bool   // the printed repair lines are the same (normalised)
	// touched are UIDs whose record the damage destroys: their flags may
	// go and their UID change; gone are messages whose file is gone.
	touched, gone []uint32
	allTouched    bool // no record survives (index rebuilt from the files)
	userFlagsGone bool // cyrus.header (the flag names) is lost
	// cyrusLoops: Cyrus's second run still finds something (it does not
	// repair this damage); informational.
	cyrusLoops bool
	// noOracle: Cyrus cannot repair this damage at all (its result is
	// not compared); the reason is in differs.
	noOracle bool
	// revived are expunged UIDs that Cyrus brings back to life when it
	// rebuilds the index from the files, where Gyrus kept their record
	// (and so knows they are expunged).
	revived []uint32
}

// dctx is what a damage function works on.
type dctx struct {
	in   *inst
	env  *reconstruct.Env
	loc  mailbox.Location
	e    *mboxlist.Entry
	dir  string
	name string
}

func (d *dctx) path(n string) string { return filepath.Join(d.dir, n) }

var catalogue = []damage{
	{name: "index-deleted", apply: func(t *testing.T, d *dctx) { rm(t, d.path("cyrus.index")) },
		allTouched: true, sameOut: true},
	{name: "index-empty", apply: func(t *testing.T, d *dctx) { truncate(t, d.path("cyrus.index"), 0) },
		allTouched: true, sameOut: true},
	{name: "index-header-truncated", apply: func(t *testing.T, d *dctx) { truncate(t, d.path("cyrus.index"), 100) },
		allTouched: true, sameOut: true},
	{name: "index-record-truncated", revived: []uint32{5}, apply: func(t *testing.T, d *dctx) {
		truncate(t, d.path("cyrus.index"), int64(index.HeaderSize+5*index.RecordSize+50))
	}, cmp: cmpNoFlags, touched: []uint32{7, 8, 9, 10},
		differs: "Gyrus keeps the records that are whole (and their flags); Cyrus rebuilds all from the files (expunged UID 5 back)"},
	{name: "index-header-zeroed", revived: []uint32{5}, apply: func(t *testing.T, d *dctx) { zero(t, d.path("cyrus.index"), 0, index.HeaderSize) },
		cmp: cmpNoFlags, differs: "Gyrus keeps every record whose CRC checks out (flags survive, expunged stays expunged); Cyrus rebuilds from the files (flags lost, expunged UID 5 back)"},
	{name: "index-header-bitflip", revived: []uint32{5}, apply: func(t *testing.T, d *dctx) { flip(t, d.path("cyrus.index"), 40, 0x04) },
		cmp: cmpNoFlags, differs: "as index-header-zeroed"},
	{name: "index-zeroed", apply: func(t *testing.T, d *dctx) { zero(t, d.path("cyrus.index"), 0, -1) },
		allTouched: true, sameOut: true},
	{name: "index-bad-version", revived: []uint32{5}, apply: func(t *testing.T, d *dctx) {
		modHeaderRaw(t, d.path("cyrus.index"), func(b []byte) { b[11] = 99 })
	}, cmp: cmpNoFlags, differs: "as index-header-zeroed"},
	{name: "record-bitflip", apply: func(t *testing.T, d *dctx) {
		flip(t, d.path("cyrus.index"), int64(index.HeaderSize+1*index.RecordSize+50), 0x10)
	}, touched: []uint32{2}, sameOut: true},
	{name: "record-zeroed", apply: func(t *testing.T, d *dctx) {
		zero(t, d.path("cyrus.index"), int64(index.HeaderSize+2*index.RecordSize), index.RecordSize)
	}, touched: []uint32{4}, sameOut: true},
	{name: "duplicate-uid", apply: func(t *testing.T, d *dctx) {
		modRecord(t, d.path("cyrus.index"), 3, func(r *index.Record) { r.UID = 2 })
	}, touched: []uint32{4}, sameOut: true},
	{name: "record-out-of-order", apply: func(t *testing.T, d *dctx) {
		swapRecords(t, d.path("cyrus.index"), 5, 6)
	}, touched: []uint32{6, 7}, sameOut: true},
	{name: "uid-beyond-last-uid", apply: func(t *testing.T, d *dctx) {
		modHeader(t, d.path("cyrus.index"), func(h *index.Header) { h.LastUID = 6 })
	}, sameOut: true},
	{name: "future-modseq", apply: func(t *testing.T, d *dctx) {
		modRecord(t, d.path("cyrus.index"), 2, func(r *index.Record) { r.ModSeq += 1000 })
	}, sameOut: true},
	{name: "wrong-counts", apply: func(t *testing.T, d *dctx) {
		modHeader(t, d.path("cyrus.index"), func(h *index.Header) {
			h.Exists += 3
			h.Flagged = 7
			h.Deleted = 0
			h.Answered = 2
			h.QuotaMailboxUsed = 12345
		})
	}, sameOut: true},
	{name: "wrong-sync-crcs", apply: func(t *testing.T, d *dctx) {
		modHeader(t, d.path("cyrus.index"), func(h *index.Header) { h.SyncCRCBasic ^= 0xdead; h.SyncCRCAnnot ^= 0xbeef })
	}, sameOut: true},
	{name: "user-flag-without-name", apply: func(t *testing.T, d *dctx) {
		modRecord(t, d.path("cyrus.index"), 1, func(r *index.Record) { r.SetUserFlag(77, true) })
	}, sameOut: true},
	{name: "cache-deleted", apply: func(t *testing.T, d *dctx) { rm(t, d.path("cyrus.cache")) }, sameOut: true},
	{name: "cache-truncated", apply: func(t *testing.T, d *dctx) {
		st, _ := os.Stat(d.path("cyrus.cache"))
		truncate(t, d.path("cyrus.cache"), st.Size()/2)
	}, sameOut: true},
	{name: "cache-zeroed", apply: func(t *testing.T, d *dctx) { zero(t, d.path("cyrus.cache"), 4, -1) }, sameOut: true},
	{name: "cache-bitflip", apply: func(t *testing.T, d *dctx) { flip(t, d.path("cyrus.cache"), 100, 0x10) }, sameOut: true},
	{name: "cache-generation-mismatch", apply: func(t *testing.T, d *dctx) {
		modHeaderRaw(t, d.path("cyrus.cache"), func(b []byte) { b[3] ^= 7 })
	}, sameOut: true},
	{name: "cache-stale-offsets", apply: func(t *testing.T, d *dctx) {
		var o1, o2 uint64
		modRecord(t, d.path("cyrus.index"), 1, func(r *index.Record) { o1 = r.CacheOffset })
		modRecord(t, d.path("cyrus.index"), 2, func(r *index.Record) { o2 = r.CacheOffset; r.CacheOffset = o1 })
		modRecord(t, d.path("cyrus.index"), 1, func(r *index.Record) { r.CacheOffset = o2 })
	}, sameOut: true},
	{name: "header-deleted", revived: []uint32{5}, apply: func(t *testing.T, d *dctx) { rm(t, d.path("cyrus.header")) },
		cmp: cmpNoFlags, userFlagsGone: true,
		differs: "Gyrus writes cyrus.header again from mailboxes.db and keeps the index (system flags survive, expunged stays expunged); Cyrus rebuilds the index from the files (flags lost, expunged UID 5 back)"},
	{name: "header-truncated", revived: []uint32{5}, apply: func(t *testing.T, d *dctx) { truncate(t, d.path("cyrus.header"), 50) },
		cmp: cmpNoFlags, userFlagsGone: true, differs: "as header-deleted"},
	{name: "header-garbage", revived: []uint32{5}, apply: func(t *testing.T, d *dctx) {
		b := readFile(t, d.path("cyrus.header"))
		writeFile(t, d.path("cyrus.header"), append(b[:len(index.HeaderMagic)], []byte("%(T e N \x00garbage\n")...))
	}, cmp: cmpNoFlags, userFlagsGone: true, differs: "as header-deleted"},
	{name: "header-crc-mismatch", apply: func(t *testing.T, d *dctx) {
		modHeader(t, d.path("cyrus.index"), func(h *index.Header) { h.HeaderFileCRC ^= 1 })
	}, differs: "Gyrus corrects the CRC and says so; Cyrus 3.6.1 leaves it (only logs it when the mailbox is opened)"},
	{name: "bogus-flag-name", apply: func(t *testing.T, d *dctx) {
		setHeader(t, d, func(mh *index.MailboxHeader) { mh.Flags[5] = "bad flag" })
	}, sameOut: true},
	{name: "message-file-missing", apply: func(t *testing.T, d *dctx) { rm(t, d.loc.MessagePath(4)) },
		gone: []uint32{4}, sameOut: true},
	{name: "message-file-empty", apply: func(t *testing.T, d *dctx) { truncate(t, d.loc.MessagePath(6), 0) },
		gone: []uint32{6}, sameOut: true},
	{name: "orphan-file-above-last-uid", apply: func(t *testing.T, d *dctx) {
		copyFile(t, d.loc.MessagePath(2), d.loc.MessagePath(13))
	}, sameOut: true},
	{name: "orphan-file-in-uid-gap", apply: func(t *testing.T, d *dctx) {
		copyFile(t, d.loc.MessagePath(1), d.loc.MessagePath(3))
	}, sameOut: true},
	{name: "orphan-file-uid-zero", apply: func(t *testing.T, d *dctx) {
		copyFile(t, d.loc.MessagePath(7), d.loc.MessagePath(0))
	}, sameOut: true},
	{name: "message-file-replaced-R", opts: []string{"-R"}, apply: func(t *testing.T, d *dctx) {
		writeFile(t, d.loc.MessagePath(8), []byte("From: x@example.com\r\nSubject: not the same message\r\n\r\nother bytes entirely\r\n"))
	}, gone: []uint32{8}, sameOut: true},
	{name: "message-file-replaced-U", opts: []string{"-U"}, apply: func(t *testing.T, d *dctx) {
		writeFile(t, d.loc.MessagePath(8), []byte("From: x@example.com\r\nSubject: not the same message\r\n\r\nother bytes entirely\r\n"))
	}, gone: []uint32{8}, sameOut: true},
	{name: "record-wrong-guid-G-R", opts: []string{"-G", "-R"}, apply: func(t *testing.T, d *dctx) {
		modRecord(t, d.path("cyrus.index"), 6, func(r *index.Record) { r.GUID[3] ^= 0xff })
	}, touched: []uint32{7}, sameOut: true},
	{name: "record-wrong-size", apply: func(t *testing.T, d *dctx) {
		modRecord(t, d.path("cyrus.index"), 7, func(r *index.Record) { r.Size += 3 })
	}, sameOut: true},
	{name: "odd-file-O", opts: []string{"-O"}, apply: func(t *testing.T, d *dctx) {
		writeFile(t, d.path("junk.txt"), []byte("not a message"))
		writeFile(t, d.path("12.bak"), []byte("not a message either"))
	}, sameOut: true},
	{name: "stale-cyrus-expunge", apply: func(t *testing.T, d *dctx) {
		// a Cyrus 2.3 cyrus.expunge naming the expunged UID 5
		h := index.NewHeader(1, 1, 1, 0, 1)
		h.NumRecords = 1
		b := h.Bytes()
		r := index.Record{UID: 5, InternalFlags: index.InternalExpunged}
		writeFile(t, d.path("cyrus.expunge"), append(b, r.Bytes()...))
	}, differs: "Cyrus removes the file silently; so does Gyrus (no line printed by either)", sameOut: true},
	{name: "acl-mismatch", apply: func(t *testing.T, d *dctx) {
		setHeader(t, d, func(mh *index.MailboxHeader) { mh.ACL = "alice\tlrs\tanyone\tlr\t" })
	}, cyrusLoops: true,
		differs: "Gyrus copies the header's ACL into mailboxes.db (Cyrus's documented rule) and says so; Cyrus 3.6.1 only prints that it should"},
	{name: "header-uniqueid-mismatch", apply: func(t *testing.T, d *dctx) {
		setHeader(t, d, func(mh *index.MailboxHeader) { mh.UniqueID = "zzzzzzzzzzzzzzzzzzzzzzzz" })
	}, differs: "Gyrus puts the uniqueid its directory proves back into cyrus.header; Cyrus 3.6.1 compares mailboxes.db with itself and never notices"},
	{name: "uidvalidity-mismatch", apply: func(t *testing.T, d *dctx) {
		d.e.UIDValidity += 17
		putEntry(t, d)
	}, sameOut: true},
	{name: "mailbox-not-in-mailboxes.db", box: "user.alice.sub", apply: func(t *testing.T, d *dctx) {
		if err := d.env.List.Update(func(tx *mboxlist.Tx) error {
			if err := tx.Put(d.name, nil); err != nil {
				return err
			}
			return tx.DeleteID(d.e.UniqueID)
		}); err != nil {
			t.Fatal(err)
		}
	}, opts: []string{"-P"}, sameOut: true},
	{name: "mailbox-not-in-mailboxes.db-f", box: "user.alice.sub", apply: func(t *testing.T, d *dctx) {
		if err := d.env.List.Update(func(tx *mboxlist.Tx) error {
			if err := tx.Put(d.name, nil); err != nil {
				return err
			}
			return tx.DeleteID(d.e.UniqueID)
		}); err != nil {
			t.Fatal(err)
		}
	}, args: []string{"-r", "-f", "user.alice"}, noOracle: true,
		differs: "Cyrus 3.6.1's -f looks only in subdirectories of by-name mailboxes and finds nothing by uuid"},
}

// ---- the test

func TestDamageCatalogue(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	if len(catalogue) < 25 {
		t.Fatalf("the catalogue has %d kinds of damage, want at least 25", len(catalogue))
	}
	kinds := catalogue
	if !fullRuns {
		kinds = nil
		for _, dm := range catalogue {
			if !fullOnly[dm.name] {
				kinds = append(kinds, dm)
			}
		}
		if len(kinds) < 25 {
			t.Fatalf("the default run has %d kinds of damage, want at least 25", len(kinds))
		}
	}
	pristine := map[string]boxState{}
	in := <-f.pool
	in.restore(t)
	for _, n := range []string{"user.alice", "user.alice.sub"} {
		pristine[n] = in.state(t, n)
	}
	if len(pristine["user.alice"].Msgs) != 8 {
		t.Fatalf("pristine user.alice: %v", pristine["user.alice"].Msgs)
	}
	f.pool <- in
	t.Run("kinds", func(t *testing.T) {
		for _, dm := range kinds {
			t.Run(dm.name, func(t *testing.T) {
				t.Parallel()
				testDamage(t, f.take(t), dm, pristine)
			})
		}
	})
}

// fullOnly are the kinds of damage that run only with GYRUS_MAINT_FULL:
// each is a variant of one that runs by default (another way to lose the
// same file or field, repaired by the same code).
var fullOnly = map[string]bool{
	"index-empty": true, "index-header-truncated": true, "index-header-zeroed": true,
	"record-zeroed":   true,
	"cache-truncated": true, "cache-zeroed": true, "cache-generation-mismatch": true,
	"header-truncated":     true,
	"orphan-file-uid-zero": true, "message-file-replaced-R": true, "record-wrong-size": true,
	"stale-cyrus-expunge": true,
}

func (dm *damage) mailbox() string {
	if dm.box == "" {
		return "user.alice"
	}
	return dm.box
}

// inject restores the pristine spool and does the damage.
func (in *inst) inject(t *testing.T, dm damage) *dctx {
	t.Helper()
	in.restore(t)
	env := in.env(t)
	loc, e := in.location(t, env, dm.mailbox())
	d := &dctx{in: in, env: env, loc: loc, e: e, dir: loc.Dir, name: dm.mailbox()}
	dm.apply(t, d)
	env.Close()
	in.chown(t)
	return d
}

func (dm *damage) reconArgs(d *dctx, cyrus bool) []string {
	if cyrus && dm.cargs != nil {
		return dm.cargs
	}
	if dm.args != nil {
		return dm.args
	}
	args := append([]string{}, dm.opts...)
	if len(dm.opts) > 0 && dm.opts[0] == "-P" {
		return append(args, d.dir)
	}
	return append(args, dm.mailbox())
}

func testDamage(t *testing.T, f *inst, dm damage, pristine map[string]boxState) {
	name := dm.mailbox()
	// Gyrus
	d := f.inject(t, dm)
	gout, gerr, gcode := f.gyrus(t, "reconstruct", dm.reconArgs(d, false)...)
	if gcode != 0 {
		t.Fatalf("gyrus reconstruct exit %d\n%s%s", gcode, gout, gerr)
	}
	t.Logf("gyrus:\n%s%s", gout, gerr)
	out2, err2, _ := f.gyrus(t, "reconstruct", name)
	if out2 != f.External(name)+"\n" || err2 != "" {
		t.Errorf("second gyrus run still finds something:\n%s%s", out2, err2)
	}
	if probs := f.check(t, name); len(probs) > 0 {
		t.Errorf("lib/mailbox Check after the repair: %v", probs)
	}
	gs := f.state(t, name)
	checkPreserved(t, dm, pristine[name], gs)
	// where the repair changed the mailbox's usage, quota -f brings the
	// quota root in line: Cyrus's quota -f -n then finds nothing to fix
	if usage(gs) != usage(pristine[name]) {
		if _, errs, code := f.gyrus(t, "quota", "-f", "-q", "user.alice"); code != 0 {
			t.Errorf("quota -f after the repair: exit %d\n%s", code, errs)
		}
		if _, errs, _ := f.cyrus(t, "quota", "-f", "-n", "-q", "user.alice"); errs != "" {
			t.Errorf("Cyrus's quota -f -n after reconstruct and quota -f:\n%s", errs)
		}
	}
	// and real Cyrus finds nothing to repair in what Gyrus wrote
	if !dm.noOracle {
		if out, errs, _ := f.cyrus(t, "reconstruct", "-n", "-G", name); out != f.External(name)+"\n" {
			t.Errorf("Cyrus's reconstruct -n -G on Gyrus's repair:\n%s%s", out, errs)
		}
	}

	if dm.noOracle {
		t.Logf("not compared with Cyrus: %s", dm.differs)
		return
	}
	// Cyrus, on the same damage
	d = f.inject(t, dm)
	cout, cerr, ccode := f.cyrus(t, "reconstruct", dm.reconArgs(d, true)...)
	t.Logf("cyrus (exit %d):\n%s%s", ccode, cout, cerr)
	if dm.name == "mailbox-not-in-mailboxes.db" {
		// -P only makes the entry; both then need a reconstruct
		f.cyrus(t, "reconstruct", name)
	}
	cs := f.state(t, name)
	compareStates(t, dm, gs, cs)
	if dm.sameOut {
		if g, c := normOut(gout), normOut(cout); g != c {
			t.Errorf("repair messages differ\ngyrus:\n%s\ncyrus:\n%s", g, c)
		}
	}
}

// usage is what a mailbox charges its quota root: messages and bytes.
func usage(s boxState) string {
	var n, size int
	for _, m := range s.Msgs {
		n++
		size += int(m.Size)
	}
	return fmt.Sprintf("%d %d", n, size)
}

// External is the admin's name as both reconstructs print it.
func (in *inst) External(intname string) string { return intname }

// checkPreserved: every message whose file survived is still there, with
// its UID and flags when its record survived.
func checkPreserved(t *testing.T, dm damage, before, after boxState) {
	t.Helper()
	byGUID := map[string][]msgState{}
	for _, m := range after.Msgs {
		byGUID[m.GUID] = append(byGUID[m.GUID], m)
	}
	byUID := map[uint32]msgState{}
	for _, m := range after.Msgs {
		byUID[m.UID] = m
	}
	has := func(l []uint32, u uint32) bool {
		for _, x := range l {
			if x == u {
				return true
			}
		}
		return false
	}
	for _, m := range before.Msgs {
		if has(dm.gone, m.UID) {
			continue
		}
		if len(byGUID[m.GUID]) == 0 {
			t.Errorf("message uid %d (%s) lost", m.UID, m.GUID)
			continue
		}
		if dm.allTouched || has(dm.touched, m.UID) {
			continue
		}
		got, ok := byUID[m.UID]
		if !ok || got.GUID != m.GUID {
			t.Errorf("uid %d: was %v, now %v", m.UID, m, got)
			continue
		}
		want := m.Flags
		if dm.userFlagsGone {
			want = systemOnly(want)
		}
		if got.Flags != want {
			t.Errorf("uid %d flags: was [%s], now [%s]", m.UID, want, got.Flags)
		}
	}
}

func systemOnly(flags string) string {
	var out []string
	for _, f := range strings.Fields(flags) {
		if strings.HasPrefix(f, "\\") {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

func compareStates(t *testing.T, dm damage, g, c boxState) {
	t.Helper()
	line := func(m msgState, mode cmpMode) string {
		switch mode {
		case cmpNoFlags:
			return fmt.Sprintf("%d %s %d", m.UID, m.GUID, m.Size)
		case cmpGUIDs:
			return fmt.Sprintf("%s %d", m.GUID, m.Size)
		}
		return fmt.Sprintf("%d %s %d [%s]", m.UID, m.GUID, m.Size, m.Flags)
	}
	list := func(s boxState) string {
		var l []string
		for _, m := range s.Msgs {
			l = append(l, line(m, dm.cmp))
		}
		sort.Strings(l)
		return strings.Join(l, "\n")
	}
	var kept []msgState
	for _, m := range c.Msgs {
		revived := false
		for _, u := range dm.revived {
			revived = revived || m.UID == u
		}
		if !revived {
			kept = append(kept, m)
		}
	}
	c.Msgs = kept
	if a, b := list(g), list(c); a != b {
		t.Errorf("Gyrus and Cyrus disagree (%s)\ngyrus:\n%s\ncyrus:\n%s", dm.differs, a, b)
	} else if dm.cmp != cmpAll {
		// say what the deliberate difference looked like
		ga, cb := fullList(g), fullList(c)
		if ga != cb {
			t.Logf("deliberate difference (%s):\ngyrus:\n%s\ncyrus:\n%s", dm.differs, ga, cb)
		}
	}
}

func fullList(s boxState) string {
	var l []string
	for _, m := range s.Msgs {
		l = append(l, m.String())
	}
	return strings.Join(l, "\n")
}

var (
	reNum  = regexp.MustCompile(`(sync_crc(?:_annot)? )\d+ => \d+`)
	reUV   = regexp.MustCompile(`(uidvalidity in \w+, fixing \S+ )\(\d+ -> \d+\)`)
	reBare = regexp.MustCompile(`(?m)^.*\n?`)
)

// normOut removes from reconstruct's output what differs between any two
// runs (sync CRCs depend on modseqs and times, UIDVALIDITY on the clock).
func normOut(s string) string {
	s = reNum.ReplaceAllString(s, "${1}N => N")
	s = reUV.ReplaceAllString(s, "${1}(N -> N)")
	_ = reBare
	return s
}

// ---- damage helpers

func rm(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, p string, n int64) {
	t.Helper()
	if err := os.Truncate(p, n); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	writeFile(t, to, readFile(t, from))
}

// zero overwrites n bytes at off with zeros (n < 0: to the end).
func zero(t *testing.T, p string, off int64, n int) {
	t.Helper()
	b := readFile(t, p)
	end := len(b)
	if n >= 0 && int(off)+n < end {
		end = int(off) + n
	}
	for i := int(off); i < end; i++ {
		b[i] = 0
	}
	writeFile(t, p, b)
}

func flip(t *testing.T, p string, off int64, mask byte) {
	t.Helper()
	b := readFile(t, p)
	b[off] ^= mask
	writeFile(t, p, b)
}

func modHeaderRaw(t *testing.T, p string, fn func([]byte)) {
	t.Helper()
	b := readFile(t, p)
	fn(b)
	writeFile(t, p, b)
}

// modHeader changes the cyrus.index header and writes it with a good CRC.
func modHeader(t *testing.T, p string, fn func(*index.Header)) {
	t.Helper()
	b := readFile(t, p)
	h, err := index.ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	fn(&h)
	h.Marshal(b)
	writeFile(t, p, b)
}

// modRecord changes record recno and writes it with a good CRC.
func modRecord(t *testing.T, p string, recno uint32, fn func(*index.Record)) {
	t.Helper()
	b := readFile(t, p)
	h, err := index.ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	off := h.RecordOffset(recno)
	r, err := index.ParseRecord(b[off:off+index.RecordSize], recno, off)
	if err != nil {
		t.Fatal(err)
	}
	fn(&r)
	r.Marshal(b[off : off+index.RecordSize])
	writeFile(t, p, b)
}

func swapRecords(t *testing.T, p string, a, c uint32) {
	t.Helper()
	b := readFile(t, p)
	h, err := index.ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	oa, oc := h.RecordOffset(a), h.RecordOffset(c)
	tmp := append([]byte(nil), b[oa:oa+index.RecordSize]...)
	copy(b[oa:oa+index.RecordSize], b[oc:oc+index.RecordSize])
	copy(b[oc:oc+index.RecordSize], tmp)
	writeFile(t, p, b)
}

// setHeader rewrites cyrus.header and keeps the index's copy of its CRC
// right, so that only the intended damage is there.
func setHeader(t *testing.T, d *dctx, fn func(*index.MailboxHeader)) {
	t.Helper()
	mh, err := index.ParseMailboxHeader(readFile(t, d.path("cyrus.header")))
	if err != nil {
		t.Fatal(err)
	}
	fn(mh)
	data := mh.Marshal()
	writeFile(t, d.path("cyrus.header"), data)
	modHeader(t, d.path("cyrus.index"), func(h *index.Header) { h.HeaderFileCRC = index.FileCRC(data) })
}

// putEntry writes d.e back to mailboxes.db.
func putEntry(t *testing.T, d *dctx) {
	t.Helper()
	if err := d.env.List.Update(func(tx *mboxlist.Tx) error { return tx.Put(d.name, d.e) }); err != nil {
		t.Fatal(err)
	}
}
