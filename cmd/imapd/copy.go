package main

import (
	"errors"
	"os"
	"strconv"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/seen"
)

// COPY and MOVE (RFC 9051 6.4.7, RFC 6851, RFC 4315 COPYUID), as
// Cyrus's cmd_copy/index_copy/append_copy: message files hard-linked
// (singleinstancestore), index records and cache entries copied, never
// re-parsed; flags kept as the destination rights allow.

func (s *Session) cmdCopy(tag string, uid, move bool, a *imapwire.Copy) {
	sel := s.sel
	dest, destName, err := s.lookup(a.Mailbox)
	if err == nil && move && !sel.rights.Has(acl.Expunge) {
		err = errPermission
	}
	var copyUID string
	if err == nil {
		if err = s.refresh(); err == nil {
			copyUID, err = s.copyMessages(uid, move, a.Set, dest)
		}
	}
	if move && copyUID != "" && err == nil {
		s.wr().RawString("* OK [COPYUID " + copyUID + "] Completed\r\n")
		copyUID = ""
	}
	s.tellChangesUID(move || uid, false)
	switch {
	case err != nil && !(uid && errors.Is(err, errNoSuchMsg)):
		code := imapwire.Code("")
		switch {
		case errors.Is(err, errNotSupported):
			code = imapwire.CodeCannot
		case isNonexistent(err) && !errors.Is(err, errGone) && s.mayCreate(destName):
			code = imapwire.CodeTryCreate
		}
		_, text := s.errText(err)
		s.noCode(tag, code, text)
	case copyUID != "":
		s.okCode(tag, imapwire.Code("COPYUID "+copyUID), "Completed")
	default:
		s.ok(tag)
	}
}

func isNonexistent(err error) bool {
	return errors.Is(err, errNonexistent) || errors.Is(err, mboxlist.ErrNotFound)
}

// mayCreate is Cyrus's mboxlist_createmailboxcheck for TRYCREATE: the
// name is valid, free, and the session could create it.
func (s *Session) mayCreate(intname string) bool {
	if intname == "" {
		return false
	}
	if err := s.srv.ns.PolicyCheck(intname); err != nil {
		return false
	}
	if _, err := s.srv.list.Lookup(intname); err == nil {
		return false
	}
	if s.isAdmin {
		return true
	}
	parent, err := s.srv.list.FindParent(intname)
	if err != nil {
		// a user may create in their own hierarchy only under the INBOX
		return false
	}
	return s.entryRights(parent).Has(acl.Create)
}

// copyMessages copies (or moves) the messages of set into dest and
// returns the COPYUID text ("uidvalidity srcuids dstuids"), empty when
// the session may not read the destination.
func (s *Session) copyMessages(uid, move bool, set imap.NumSet, dest *mboxlist.Entry) (string, error) {
	sel := s.sel
	if sel.name == dest.Name {
		log.Printf(log.LevelNotice, "same mailbox copy %s", dest.Name)
	}
	s.tellChangesUID(uid, uid)
	seqs := s.matchSeqs(set, uid)
	type src struct {
		seq   uint32
		rec   index.Record
		cache index.CacheEntry
	}
	var srcs []src
	for _, q := range seqs {
		// a message another session expunged is still copied while the
		// client has not been told and its file is there (Cyrus
		// index_copy works on the session's map)
		m := sel.view.Msg(q)
		if m.Expunged() {
			if _, err := os.Stat(msgPath(sel.mb, m.UID)); err != nil {
				continue
			}
		}
		rec, err := sel.view.Record(q)
		if err != nil {
			continue
		}
		c, err := sel.view.CacheOf(&rec)
		if err != nil {
			return "", err
		}
		srcs = append(srcs, src{q, rec, c})
	}
	if len(srcs) == 0 {
		return "", errNoSuchMsg
	}
	rights := s.pureRights(dest)
	if !rights.Has(acl.Insert) {
		if rights.Has(acl.Lookup) {
			return "", errPermission
		}
		return "", errNonexistent
	}
	if dest.Type.Kind() != mboxlist.TypeEmail {
		return "", errNotSupported
	}
	dmb, err := s.srv.openMailbox(dest, mailbox.ReadWrite)
	if err != nil {
		return "", err
	}
	defer dmb.Close()
	tx, err := dmb.Begin()
	if err != nil {
		return "", err
	}
	owner := s.srv.ns.UserOf(dest.Name)
	internalSeen := tx.Header().Options&index.OptSharedSeen != 0 || owner == s.userid
	sameRoot := sel.mb.QuotaRoot() == dmb.QuotaRoot()
	srcFlags := sel.mb.UserFlags()
	var newUIDs, oldUIDs, seenUIDs, goneUIDs []uint32
	for _, sm := range srcs {
		sys := sm.rec.SystemFlags & index.SystemFlagsMask &^ index.FlagSeen
		var user [4]uint32
		if rights.Has(acl.Write) {
			for i := 0; i < index.MaxUserFlags; i++ {
				if srcFlags[i] != "" && sm.rec.HasUserFlag(i) {
					slot, err := tx.UserFlag(srcFlags[i], mailbox.FlagCreateAny)
					if err != nil {
						log.Printf(log.LevelErr, "IOERROR: unable to copy flag %s from %s to %s uid %d: %v", srcFlags[i], sel.name, dest.Name, sm.rec.UID, err)
						continue
					}
					user[slot/32] |= 1 << (slot % 32)
				}
			}
		} else {
			sys &= index.FlagDeleted
		}
		if !rights.Has(acl.DeleteMsg) {
			sys &^= index.FlagDeleted
		}
		seenSrc := sm.rec.SystemFlags&index.FlagSeen != 0
		if seenSrc && internalSeen {
			sys |= index.FlagSeen
		}
		nr, err := tx.Append(&mailbox.NewMessage{
			Path: msgPath(sel.mb, sm.rec.UID),
			Info: mailbox.MessageInfo{
				Size: sm.rec.Size, HeaderSize: sm.rec.HeaderSize,
				SentDate: sm.rec.SentDate, GMTime: sm.rec.GMTime, GUID: sm.rec.GUID,
				Cache: index.EncodeCacheEntry(sm.cache.Items),
			},
			InternalDate: unixTime(sm.rec.InternalDate),
			SystemFlags:  sys,
			UserFlags:    user,
			IgnoreQuota:  s.srv.flags.NoQuota || (move && sameRoot),
		})
		if err != nil {
			tx.Abort()
			return "", err
		}
		if anns, err := sel.mb.Annotations(sm.rec.UID); err == nil {
			for _, an := range anns {
				if err := tx.SetAnnotation(nr.UID, an.Entry, an.UserID, an.Value); err != nil {
					log.Printf(log.LevelErr, "IOERROR: copy annotation %s of %s uid %d: %v", an.Entry, sel.name, sm.rec.UID, err)
				}
			}
		}
		if seenSrc && !internalSeen {
			seenUIDs = append(seenUIDs, nr.UID)
		}
		oldUIDs = append(oldUIDs, sm.rec.UID)
		newUIDs = append(newUIDs, nr.UID)
		if sm.rec.Expunged() {
			goneUIDs = append(goneUIDs, nr.UID)
		}
	}
	if err := tx.Commit(); err != nil {
		return "", err
	}
	if len(goneUIDs) > 0 {
		// Cyrus copies the record as it is: the copy of a message that
		// was expunged is expunged too
		if tx, err := dmb.Begin(); err == nil {
			if _, err := tx.ExpungeUIDs(goneUIDs); err != nil {
				tx.Abort()
			} else {
				tx.Commit()
			}
		}
	}
	validity := dmb.Header().UIDValidity
	if len(seenUIDs) > 0 {
		s.addSeen(s.userid, dmb.MailboxHeader().UniqueID, seenUIDs)
	}
	if move {
		n, err := s.expungeUIDs(oldUIDs)
		if err != nil {
			return "", err
		}
		if n > 0 {
			log.Printf(log.LevelNotice, "Expunged %d messages from %s", n, sel.name)
		}
	}
	if !rights.Has(acl.Read) {
		return "", nil
	}
	srcSet := uidSetOf(sortedCopy(oldUIDs)).String()
	dst := strconv.FormatUint(uint64(newUIDs[0]), 10)
	if len(newUIDs) > 1 {
		dst += ":" + strconv.FormatUint(uint64(newUIDs[len(newUIDs)-1]), 10)
	}
	return strconv.FormatUint(uint64(validity), 10) + " " + srcSet + " " + dst, nil
}

// expungeUIDs expunges exactly these UIDs of the selected mailbox (the
// source side of MOVE).
func (s *Session) expungeUIDs(uids []uint32) (int, error) {
	sel := s.sel
	tx, err := sel.mb.Begin()
	if err != nil {
		return 0, err
	}
	done, err := tx.ExpungeUIDs(uids)
	if err != nil {
		tx.Abort()
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return len(done), s.refresh()
}

// addSeen marks UIDs seen for userid in a mailbox it does not own.
func (s *Session) addSeen(userid, uniqueid string, uids []uint32) {
	if userid == "" {
		return
	}
	db, err := seen.Open(s.srv.list.UserFileOf(userid, "seen"), s.srv.cfg.SeenstateDb(), true)
	if err != nil {
		log.Printf(log.LevelErr, "IOERROR: open seen state for %s: %v", userid, err)
		return
	}
	defer db.Close()
	err = db.Modify(uniqueid, func(sd *seen.Data) error {
		old := parseUIDSet(sd.SeenUIDs, 0)
		add := map[uint32]bool{}
		maxUID := old.max()
		for _, u := range uids {
			add[u] = true
			if u > maxUID {
				maxUID = u
			}
		}
		set := seen.NewMerge()
		for u := uint32(1); u <= maxUID; u++ {
			set.Add(u, old.has(u) || add[u])
		}
		sd.SeenUIDs = set.String()
		return nil
	})
	if err != nil {
		log.Printf(log.LevelErr, "IOERROR: write seen state for %s: %v", userid, err)
	}
}
