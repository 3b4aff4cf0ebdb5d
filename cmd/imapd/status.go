package main

import (
	"strconv"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
)

// STATUS (RFC 9051 6.3.11, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ, RFC
// 8474 MAILBOXID, RFC 7889 APPENDLIMIT) as Cyrus's cmd_status and
// status_load_mailbox: the counters come from the index header, the
// per-user \Seen and \Recent from the seen state.

// statusData is what STATUS reports.
type statusData struct {
	messages, recent, uidnext, uidvalidity, unseen, deleted uint32
	size, deletedStorage                                    uint64
	createdModSeq, highestModSeq                            uint64
	mailboxID                                               string
}

func (s *Session) cmdStatus(tag string, a *imapwire.StatusCmd) {
	e, _, err := s.lookup(a.Mailbox)
	if err == nil {
		r := s.aclRights(e)
		if !r.Has(acl.Read) {
			if s.isAdmin || r.Has(acl.Lookup) {
				err = errPermission
			} else {
				err = errNonexistent
			}
		}
	}
	if err == nil && s.sel != nil && s.sel.name == e.Name {
		s.tellChanges(false)
	}
	var st *statusData
	if err == nil {
		st, err = s.statusData(e, &a.Items)
	}
	if err != nil {
		s.no(tag, err)
		return
	}
	s.writeStatus(a.Mailbox, &a.Items, st)
	s.tellChanges(false)
	s.ok(tag)
}

// statusData reads a mailbox's status (Cyrus status_load_mailbox).
func (s *Session) statusData(e *mboxlist.Entry, items *imapwire.StatusItems) (*statusData, error) {
	return s.statusDataOf(e, items, true)
}

// statusDataOf is statusData; without useSession the selected mailbox
// is read like any other (LIST ... RETURN (STATUS): Cyrus's list callback
// gets RECENT from the mailbox's recent UID there, 0 once this session
// has selected it, where STATUS gives the session's own count).
func (s *Session) statusDataOf(e *mboxlist.Entry, items *imapwire.StatusItems, useSession bool) (*statusData, error) {
	mb, err := s.srv.openMailbox(e, mailbox.ReadOnly)
	if err != nil {
		return nil, err
	}
	defer mb.Close()
	h := mb.Header()
	st := &statusData{
		messages:      h.Exists,
		uidnext:       h.LastUID + 1,
		uidvalidity:   h.UIDValidity,
		size:          h.QuotaMailboxUsed,
		createdModSeq: h.CreatedModSeq,
		highestModSeq: h.HighestModSeq,
		mailboxID:     mb.MailboxHeader().UniqueID,
		deleted:       h.Deleted,
	}
	if sel := s.sel; useSession && sel != nil && sel.name == e.Name && !sel.gone {
		// the selected mailbox: the session's own \Recent and \Seen
		// (Cyrus index_status, the "alive" Recent count)
		st.recent = sel.numRecent()
		st.unseen = 0
		for q := uint32(1); q <= sel.view.Len(); q++ {
			if !sel.view.Msg(q).Expunged() && !sel.isSeen(q) {
				st.unseen++
			}
		}
		if !items.DeletedStorage {
			return st, nil
		}
	}
	needSeen := items.NumRecent || items.NumUnseen
	if !needSeen && !items.DeletedStorage || h.Exists == 0 {
		return st, nil
	}
	sel0 := s.sel
	useSession = useSession && sel0 != nil && sel0.name == e.Name && !sel0.gone
	recentKeep, unseenKeep := st.recent, st.unseen
	owner := s.srv.ns.UserOf(e.Name)
	internal := h.Options&index.OptSharedSeen != 0 || owner == s.userid
	recentUID := h.RecentUID
	var seenSet uidSet
	if !internal {
		sel := &selected{mb: mb, seenUser: s.userid, internalSeen: false}
		if h.Options&index.OptSharedSeen != 0 {
			sel.seenUser = "anyone"
		}
		seenSet, recentUID = s.readSeenOf(sel.seenUser, mb)
	}
	err = mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if r.Expunged() {
			return nil
		}
		if r.UID > recentUID {
			st.recent++
		}
		if internal {
			if r.SystemFlags&index.FlagSeen == 0 {
				st.unseen++
			}
		} else if !seenSet.has(r.UID) {
			st.unseen++
		}
		if r.SystemFlags&index.FlagDeleted != 0 {
			st.deletedStorage += uint64(r.Size)
		}
		return nil
	})
	if useSession {
		st.recent, st.unseen = recentKeep, unseenKeep
	}
	return st, err
}

// readSeenOf reads userid's seen record of an open mailbox.
func (s *Session) readSeenOf(userid string, mb *mailbox.Mailbox) (uidSet, uint32) {
	sel := &selected{mb: mb, seenUser: userid}
	return s.readSeenRecord(sel)
}

// writeStatus writes "* STATUS name (...)" in Cyrus's fixed order.
func (s *Session) writeStatus(name string, items *imapwire.StatusItems, st *statusData) {
	sw := s.wr().StatusStart(name)
	if items.NumMessages {
		sw.Num("MESSAGES", uint64(st.messages))
	}
	if items.NumRecent {
		sw.Num("RECENT", uint64(st.recent))
	}
	if items.UIDNext {
		sw.Num("UIDNEXT", uint64(st.uidnext))
	}
	if items.UIDValidity {
		sw.Num("UIDVALIDITY", uint64(st.uidvalidity))
	}
	if items.MailboxID {
		sw.MailboxID(st.mailboxID)
	}
	if items.NumUnseen {
		sw.Num("UNSEEN", uint64(st.unseen))
	}
	if items.Size {
		sw.Num("SIZE", st.size)
	}
	if items.CreatedModSeq {
		sw.Num("CREATEDMODSEQ", st.createdModSeq)
	}
	if items.HighestModSeq {
		sw.Num("HIGHESTMODSEQ", st.highestModSeq)
	}
	if items.NumDeleted {
		sw.Num("DELETED", uint64(st.deleted))
	}
	if items.DeletedStorage {
		sw.Num("DELETED-STORAGE", st.deletedStorage)
	}
	if items.AppendLimit {
		sw.Num("APPENDLIMIT", uint64(s.srv.maxMessageSize))
	}
	sw.End()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
