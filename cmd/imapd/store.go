package main

import (
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
)

// STORE (RFC 9051 6.4.6, RFC 7162 UNCHANGEDSINCE, RFC 5257 STORE
// ANNOTATION) and EXPUNGE (RFC 9051 6.4.3, RFC 4315 UID EXPUNGE), as
// Cyrus's index_store/index_storeflag and index_expunge do them.

// cmdStore runs STORE and UID STORE.
func (s *Session) cmdStore(tag string, uid bool, a *imapwire.Store) {
	sel := s.sel
	if a.HasUnchanged && !s.condstore {
		s.condstore = true
		s.wr().StatusResponse("", imapwire.StatusOK, imapwire.CodeHighestModSeq(sel.highestModSeq()), "CONDSTORE enabled by UNCHANGEDSINCE")
	}
	if a.Annotations != nil {
		s.storeAnnotations(tag, uid, a)
		return
	}
	// What is asked: \Seen apart (it may live in the seen database),
	// the other system flags as bits, the keywords by name.
	var seenFlag bool
	var sys uint32
	var names []string
	for _, f := range a.Flags.Flags {
		switch strings.ToLower(string(f)) {
		case `\seen`:
			seenFlag = true
		case `\answered`:
			sys |= index.FlagAnswered
		case `\flagged`:
			sys |= index.FlagFlagged
		case `\deleted`:
			sys |= index.FlagDeleted
		case `\draft`:
			sys |= index.FlagDraft
		default:
			names = append(names, string(f))
		}
	}
	op := a.Flags.Op
	rights := sel.rights
	// RFC 4314 4: a STORE should not fail while some asked flag may be
	// changed; the others are dropped (Cyrus index_store).
	if op != imap.StoreFlagsSet {
		limited := false
		if seenFlag && !rights.Has(acl.SetSeen) {
			seenFlag, limited = false, true
		}
		if sys&index.FlagDeleted != 0 && !rights.Has(acl.DeleteMsg) {
			sys &^= index.FlagDeleted
			limited = true
		}
		if (sys&^index.FlagDeleted != 0 || len(names) > 0) && !rights.Has(acl.Write) {
			sys &= index.FlagDeleted
			names = nil
			limited = true
		}
		if limited && !seenFlag && sys == 0 && len(names) == 0 {
			s.tellPending(uid, uid, a.HasUnchanged)
			s.no(tag, errPermission)
			return
		}
	} else if (seenFlag && !rights.Has(acl.SetSeen)) ||
		(sys&index.FlagDeleted != 0 && !rights.Has(acl.DeleteMsg)) ||
		((sys&^index.FlagDeleted != 0 || len(names) > 0) && !rights.Has(acl.Write)) {
		s.no(tag, errPermission)
		return
	}
	if err := s.refresh(); err != nil {
		s.no(tag, err)
		return
	}
	seqs := s.matchSeqs(a.Set, uid)
	modified, err := s.storeFlags(seqs, op, a.Flags.Silent, seenFlag, sys, names, a.UnchangedSince, a.HasUnchanged, uid)
	s.tellPending(uid, uid, a.HasUnchanged)
	var code imapwire.Code
	if len(modified) > 0 {
		code = imapwire.CodeModified(numSetOf(modified, uid))
	}
	if err != nil {
		_, text := s.errText(err)
		s.noCode(tag, code, text)
		return
	}
	s.okCode(tag, code, "Completed")
}

// storeFlags changes the flags of the messages seqs in one transaction
// and returns the messages UNCHANGEDSINCE kept (UIDs or sequence
// numbers, as the command speaks).
func (s *Session) storeFlags(seqs []uint32, op imap.StoreFlagsOp, silent, seenFlag bool, sys uint32, names []string, unchangedSince uint64, hasUnchanged, uid bool) ([]uint32, error) {
	sel := s.sel
	rights := sel.rights
	if len(seqs) == 0 {
		return nil, nil
	}
	tx, err := sel.mb.Begin()
	if err != nil {
		return nil, err
	}
	// Cyrus index_store: flags are looked up (-FLAGS) or created one by
	// one; when the slots run out, the ones created so far stay.
	create := mailbox.FlagCreateClient
	if op == imap.StoreFlagsDel {
		create = mailbox.FlagLookup
	}
	var user [4]uint32
	for _, n := range names {
		slot, err := tx.UserFlag(n, create)
		if err != nil {
			if create == mailbox.FlagLookup && errors.Is(err, mailbox.ErrNotFound) {
				continue
			}
			if errors.Is(err, mailbox.ErrUserFlagsExhausted) {
				tx.Commit()
				s.refresh()
				s.checkFlagNames(true)
			} else {
				tx.Abort()
			}
			return nil, err
		}
		user[slot/32] |= 1 << (slot % 32)
	}
	var modified []uint32
	type done struct {
		seq    uint32
		oldMod uint64
	}
	var changed []done
	seenChanged := false
	for _, q := range seqs {
		m := sel.view.Msg(q)
		if m.Expunged() {
			continue
		}
		if hasUnchanged && m.ModSeq > unchangedSince {
			if uid {
				modified = append(modified, m.UID)
			} else {
				modified = append(modified, q)
			}
			continue
		}
		rec, err := tx.Record(m.UID)
		if err != nil || rec.Expunged() {
			continue
		}
		dirty := false
		// \Seen: the session's idea first, copied into the record only
		// for internal seen.
		oldSeen := sel.isSeen(q)
		newSeen := oldSeen
		if rights.Has(acl.SetSeen) {
			switch {
			case op == imap.StoreFlagsSet:
				newSeen = seenFlag
			case seenFlag:
				newSeen = op == imap.StoreFlagsAdd
			}
		}
		if newSeen != oldSeen {
			dirty = true
			if !sel.internalSeen {
				sel.extra[q-1].seen = newSeen
				sel.seenDirty = true
				seenChanged = true
			}
		}
		oldSys := rec.SystemFlags & index.SystemFlagsMask &^ index.FlagSeen
		newSys := oldSys
		newUser := rec.UserFlags
		switch op {
		case imap.StoreFlagsSet:
			switch {
			case !rights.Has(acl.Write):
				newSys = oldSys&^index.FlagDeleted | sys&index.FlagDeleted
			case !rights.Has(acl.DeleteMsg):
				newSys = oldSys&index.FlagDeleted | sys&^index.FlagDeleted
				newUser = user
			default:
				newSys = sys
				newUser = user
			}
		case imap.StoreFlagsAdd:
			newSys = oldSys | sys
			for i := range newUser {
				newUser[i] |= user[i]
			}
		case imap.StoreFlagsDel:
			newSys = oldSys &^ sys
			for i := range newUser {
				newUser[i] &^= user[i]
			}
		}
		if newSys != oldSys || newUser != rec.UserFlags {
			dirty = true
		}
		if !dirty {
			continue
		}
		if sel.internalSeen {
			if newSeen {
				newSys |= index.FlagSeen
			}
		} else {
			newSys |= rec.SystemFlags & index.FlagSeen // the owner's bit stays
		}
		res, err := tx.SetFlags([]uint32{m.UID}, mailbox.FlagChange{Mode: mailbox.StoreReplace, System: newSys, User: newUser})
		if err != nil {
			tx.Abort()
			return modified, err
		}
		if len(res) == 1 && !res[0].Changed {
			// only the per-user \Seen moved: the record still gets a
			// new modseq (Cyrus rewrites it)
			if _, err := tx.TouchRecords([]uint32{m.UID}); err != nil {
				tx.Abort()
				return modified, err
			}
		}
		changed = append(changed, done{q, m.ModSeq})
	}
	if err := tx.Commit(); err != nil {
		return modified, err
	}
	if seenChanged {
		s.writeSeen(sel)
	}
	if err := s.refresh(); err != nil {
		return modified, err
	}
	// Cyrus 3.6.1 means to keep .SILENT changes untold without CONDSTORE,
	// but it records the old modseq as told (index_storeflag runs before
	// the record gets its new modseq), so the new flags are reported
	// anyway; Gyrus answers the same.
	_ = silent
	_ = changed
	return modified, nil
}

// numSetOf renders numbers as a set for MODIFIED (UIDs or sequence
// numbers).
func numSetOf(nums []uint32, uid bool) imap.NumSet {
	if uid {
		return uidSetOf(sortedUnique(nums))
	}
	var set imap.SeqSet
	u := uidSetOf(sortedUnique(nums))
	for _, r := range u {
		set = append(set, imap.SeqRange{Start: uint32(r.Start), Stop: uint32(r.Stop)})
	}
	return set
}

// highestModSeq is Cyrus's index_highestmodseq: while the session has
// not been told of expunges, one below the oldest of them (RFC 5162
// errata 1809), so a resync cannot skip them.
func (sel *selected) highestModSeq() uint64 {
	h := sel.view.HighestModSeq()
	delayed := uint64(0)
	for seq := uint32(1); seq <= sel.view.Len(); seq++ {
		m := sel.view.Msg(seq)
		if m.Expunged() && (delayed == 0 || m.ModSeq-1 < delayed) {
			delayed = m.ModSeq - 1
		}
	}
	if delayed != 0 {
		return delayed
	}
	return h
}

// cmdExpunge runs EXPUNGE and UID EXPUNGE (RFC 4315 2.1), as Cyrus's
// cmd_expunge: HIGHESTMODSEQ in the answer when it moved.
func (s *Session) cmdExpunge(tag string, u *imapwire.UIDExpunge) {
	sel := s.sel
	if !sel.rights.Has(acl.Expunge) {
		s.no(tag, errPermission)
		return
	}
	var set imap.NumSet
	if u != nil {
		set = u.UIDs
	}
	old := sel.highestModSeq()
	if err := s.refresh(); err != nil {
		s.no(tag, err)
		return
	}
	n, err := s.expunge(set)
	if err != nil {
		s.no(tag, err)
		return
	}
	if n > 0 {
		log.Printf(log.LevelNotice, "Expunged %d messages from %s", n, sel.name)
	}
	s.tellChangesUID(true, u != nil)
	if now := sel.highestModSeq(); now > old {
		s.okCode(tag, imapwire.CodeHighestModSeq(now), "Completed")
		return
	}
	s.ok(tag)
}

// expunge removes the messages with \Deleted (within set, UIDs, when
// given) that the session knows; it returns how many.
func (s *Session) expunge(set imap.NumSet) (int, error) {
	sel := s.sel
	known := make(map[uint32]bool, sel.view.Len())
	for seq := uint32(1); seq <= sel.view.Len(); seq++ {
		m := sel.view.Msg(seq)
		if !m.Expunged() {
			if set != nil && !s.setHasUID(set, m.UID) {
				continue
			}
			known[m.UID] = true
		}
	}
	if len(known) == 0 {
		return 0, nil
	}
	tx, err := sel.mb.Begin()
	if err != nil {
		return 0, err
	}
	uids, err := tx.Expunge(func(r *index.Record) bool {
		return known[r.UID] && r.SystemFlags&index.FlagDeleted != 0
	})
	if err != nil {
		tx.Abort()
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return len(uids), s.refresh()
}

// setHasUID tests a UID against a UID set ("*" = the last UID, "$" the
// saved result).
func (s *Session) setHasUID(set imap.NumSet, uid uint32) bool {
	if imap.IsSearchRes(set) {
		for _, u := range s.searchRes {
			if u == uid {
				return true
			}
		}
		return false
	}
	return setContains(set, uid, s.sel.view.Header().LastUID)
}
