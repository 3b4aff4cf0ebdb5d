package main

import (
	"errors"
	"fmt"
	mathbits "math/bits"
	"time"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/acl"
	"gyrus/lib/idle"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/quota"
	"gyrus/lib/seen"
)

// selected is the state of the selected mailbox (Cyrus's index_state):
// the open mailbox, the session's view of it (sequence numbers), and per
// message what this session knows beyond the index: the modseq it last
// told the client, the per-user \Seen (seen database) and \Recent.
//
// Invariant: extra[i] belongs to view message i+1; both grow together
// in refresh and shrink together in purge.
type selected struct {
	entry   *mboxlist.Entry
	name    string // internal name
	mb      *mailbox.Mailbox
	view    *mailbox.View
	sub     *idle.Subscription
	examine bool
	rights  acl.Rights

	internalSeen bool   // \Seen lives in the index (owner, or sharedseen)
	seenUser     string // whose seen database ("anyone" for sharedseen)
	seenDirty    bool   // \Seen or \Recent state to write back
	recentUID    uint32 // UIDs above it were \Recent when first seen
	recentMark   uint32 // the owner's mark as claimRecent left it (internal seen)

	extra     []msgState
	oldExists uint32 // the EXISTS the client knows
	flagNames [index.MaxUserFlags]string
	gone      bool // the mailbox was deleted under us

	// flagBuf is flagList's reused result (consumed before the next call).
	flagBuf []imap.Flag
}

type msgState struct {
	told   uint64 // modseq the client was last told (FLAGS)
	seen   bool   // per-user \Seen (unused with internalSeen)
	recent bool
}

// isSeen reports \Seen for message seq as this user sees it.
func (sel *selected) isSeen(seq uint32) bool {
	if sel.internalSeen {
		return sel.view.Msg(seq).Flags&index.FlagSeen != 0
	}
	return sel.extra[seq-1].seen
}

// cmdSelect is RFC 9051 6.3.2 SELECT and 6.3.3 EXAMINE, answered as
// Cyrus's cmd_select + index_select.
func (s *Session) cmdSelect(tag, cmdName string, a *imapwire.Select) {
	if a.Options.CondStore {
		s.condstore = true
	}
	if a.IncludeExpunged && !s.srv.cfg.Allowdeleted() {
		s.bad(tag, "Invalid "+display(cmdName)+" modifier VENDOR.CMU-INCLUDE-EXPUNGED")
		return
	}
	wasOpen := s.sel != nil
	if wasOpen {
		s.closeSelected(s.srv.cfg.Autoexpunge())
	}
	if wasOpen {
		s.wr().RawString("* OK [CLOSED] Ok\r\n")
	}
	examine := cmdName == "EXAMINE" || s.srv.cfg.Readonly()
	e, intname, err := s.lookup(a.Mailbox)
	if err == nil && !s.isAdmin && !s.srv.cfg.Allowdeleted() && s.srv.ns.ParseInternal(intname).Deleted != 0 {
		err = errNonexistent
	}
	if err == nil && e.Type.Kind() != mboxlist.TypeEmail {
		err = errMboxBadType
	}
	var sel *selected
	if err == nil {
		sel, err = s.openSelected(e, examine)
	}
	if err == nil && !sel.rights.Has(acl.Read) {
		if s.isAdmin || sel.rights.Has(acl.Lookup) {
			err = errPermission
		} else {
			err = errNonexistent
		}
		sel.close()
		sel = nil
	}
	if err != nil {
		s.no(tag, err)
		return
	}
	s.sel = sel
	if s.ss != nil {
		s.ss.SetMailbox(intname)
	}
	if sel.rights.Has(acl.Expunge) {
		s.warnQuota(sel)
	}
	var vanished []uint32
	if a.QResync != nil && s.qresync {
		vanished = s.vanishedSince(a.QResync.UIDValidity, a.QResync.ModSeq, a.QResync.KnownUIDs, a.QResync.SeqMatch)
	}
	s.selTyped = a.Mailbox // rev2.go
	s.tellSelect()
	if a.QResync != nil && s.qresync && a.QResync.UIDValidity == sel.view.Header().UIDValidity {
		if len(vanished) > 0 {
			s.wr().Vanished(true, uidSetOf(vanished))
		}
		for seq := uint32(1); seq <= sel.view.Len(); seq++ {
			m := sel.view.Msg(seq)
			if a.QResync.KnownUIDs != nil && !setContains(a.QResync.KnownUIDs, m.UID, sel.view.Header().LastUID) {
				continue
			}
			if m.ModSeq <= a.QResync.ModSeq {
				continue
			}
			s.printFlags(seq, true, false)
		}
	}
	mode := "READ-WRITE"
	if sel.rights&acl.ReadWrite == 0 || sel.examine {
		// any right that changes messages makes it READ-WRITE
		mode = "READ-ONLY"
	}
	s.okCode(tag, imapwire.Code(mode), "Completed")
	log.Debug("open", "user", s.userid, "mailbox", a.Mailbox)
}

// openSelected opens a mailbox and builds the session's state of it
// (Cyrus index_open + index_refresh_locked).
func (s *Session) openSelected(e *mboxlist.Entry, examine bool) (*selected, error) {
	loc, err := s.srv.settings.Locate(e)
	if err != nil {
		return nil, err
	}
	mode := mailbox.ReadWrite
	if examine {
		mode = mailbox.ReadOnly
	}
	sel := &selected{entry: e, name: e.Name, examine: examine}
	// subscribe before reading the state, so no change falls between
	sel.sub, _ = s.srv.watcher.Subscribe(loc.IndexPath())
	sel.mb, err = mailbox.Open(loc, s.srv.mbopts, mode)
	if err != nil {
		if sel.sub != nil {
			sel.sub.Close()
		}
		return nil, err
	}
	mh := sel.mb.MailboxHeader()
	a, _ := acl.Parse(mh.ACL)
	if !mh.HasACL {
		a, _ = acl.Parse(e.ACL)
	}
	sel.rights = s.srv.policy.ACLRights(s.identity(), a)
	if s.isAdmin {
		sel.rights |= acl.Lookup | acl.Admin
	}
	if owner := s.srv.ns.UserOf(e.Name); owner != "" && owner == s.userid {
		sel.rights |= s.srv.policy.ImplicitOwnerRights()
	}
	if examine {
		sel.rights &^= acl.ReadWrite
	}
	h := sel.mb.Header()
	owner := s.srv.ns.UserOf(e.Name)
	sel.internalSeen = h.Options&index.OptSharedSeen != 0 || owner == s.userid || s.userid == ""
	sel.seenUser = s.userid
	if h.Options&index.OptSharedSeen != 0 {
		sel.seenUser = "anyone"
	}
	sel.view, err = sel.mb.NewView()
	if err != nil {
		sel.close()
		return nil, err
	}
	sel.flagNames = *sel.view.UserFlags()
	seenSet, recentUID := s.readSeen(sel)
	if sel.internalSeen && !sel.examine {
		recentUID = s.claimRecent(sel)
	}
	sel.recentUID = recentUID
	n := sel.view.Len()
	sel.extra = make([]msgState, n, n+n/8+8)
	for i := uint32(1); i <= n; i++ {
		m := sel.view.Msg(i)
		st := &sel.extra[i-1]
		st.told = m.ModSeq
		if !sel.internalSeen {
			st.seen = seenSet.has(m.UID)
		}
		if m.UID > recentUID && !m.Expunged() {
			st.recent = true
			sel.seenDirty = true
		}
	}
	sel.oldExists = n
	s.writeSeen(sel)
	return sel, nil
}

// tellSelect writes SELECT's untagged answers (Cyrus index_select).
func (s *Session) tellSelect() {
	sel := s.sel
	w := s.wr()
	w.Exists(sel.view.Len())
	s.tellRecent(sel.numRecent())
	s.listFlags()
	if first := sel.firstUnseen(); first != 0 && !s.rev2 {
		w.StatusResponse("", imapwire.StatusOK, imapwire.CodeUnseen(first), "Ok")
	}
	h := sel.view.Header()
	w.StatusResponse("", imapwire.StatusOK, imapwire.CodeUIDValidity(h.UIDValidity), "Ok")
	w.StatusResponse("", imapwire.StatusOK, imapwire.CodeUIDNext(h.LastUID+1), "Ok")
	w.StatusResponse("", imapwire.StatusOK, imapwire.CodeHighestModSeq(h.HighestModSeq), "Ok")
	w.StatusResponse("", imapwire.StatusOK, imapwire.CodeMailboxID(sel.mb.MailboxHeader().UniqueID), "Ok")
	w.RawString("* OK [URLMECH INTERNAL] Ok\r\n")
	w.RawString("* OK [ANNOTATIONS 65536] Ok\r\n")
	s.rev2SelectList()
	sel.oldExists = sel.view.Len()
}

// listFlags writes "* FLAGS" and "* OK [PERMANENTFLAGS ...]" (Cyrus
// index_listflags, quirks included: with 't' but not 'w' the user flags
// follow without a separator check).
func (s *Session) listFlags() {
	sel := s.sel
	w := s.wr()
	w.RawString(`* FLAGS (\Answered \Flagged \Draft \Deleted \Seen`)
	cancreate := false
	for _, f := range sel.flagNames {
		if f != "" {
			w.RawString(" " + f)
		} else {
			cancreate = true
		}
	}
	w.RawString(")\r\n* OK [PERMANENTFLAGS ")
	sep := "("
	if !sel.examine {
		if sel.rights.Has(acl.Write) {
			w.RawString(sep + `\Answered \Flagged \Draft`)
			sep = " "
		}
		if sel.rights.Has(acl.DeleteMsg) {
			w.RawString(sep + `\Deleted`)
			sep = " "
		}
		if sel.rights.Has(acl.SetSeen) {
			w.RawString(sep + `\Seen`)
			sep = " "
		}
		if sel.rights.Has(acl.Write) {
			for _, f := range sel.flagNames {
				if f != "" {
					w.RawString(" " + f)
				}
			}
			if cancreate {
				w.RawString(` \*`)
			}
		}
	}
	if sep == "(" {
		w.RawString("(")
	}
	w.RawString(")] Ok\r\n")
}

func (sel *selected) numRecent() uint32 {
	n := uint32(0)
	for i := range sel.extra {
		if sel.extra[i].recent && !sel.view.Msg(uint32(i+1)).Expunged() {
			n++
		}
	}
	return n
}

func (sel *selected) firstUnseen() uint32 {
	for seq := uint32(1); seq <= sel.view.Len(); seq++ {
		if !sel.view.Msg(seq).Expunged() && !sel.isSeen(seq) {
			return seq
		}
	}
	return 0
}

// cmdClose is RFC 9051 6.4.1 CLOSE (expunges \Deleted messages with the
// 'e' right, silently) and RFC 3691 UNSELECT.
func (s *Session) cmdClose(tag string, expunge bool) {
	s.closeSelected(expunge || s.srv.cfg.Autoexpunge())
	s.ok(tag)
}

// closeSelected leaves the selected mailbox, expunging first if asked
// and allowed.
func (s *Session) closeSelected(expunge bool) {
	sel := s.sel
	if sel == nil {
		return
	}
	if expunge && sel.rights.Has(acl.Expunge) && !sel.gone {
		if n, err := s.expunge(nil); err != nil {
			log.Printf(log.LevelErr, "IOERROR: expunge %s: %v", sel.name, err)
		} else if n > 0 {
			log.Printf(log.LevelNotice, "Expunged %d messages from %s", n, sel.name)
		}
	}
	sel.close()
	s.sel = nil
	s.searchRes = nil
	if s.ss != nil {
		s.ss.SetMailbox("")
	}
}

func (sel *selected) close() {
	if sel.view != nil {
		sel.view.Close()
	}
	if sel.mb != nil {
		sel.mb.Close()
	}
	if sel.sub != nil {
		sel.sub.Close()
	}
}

// refresh brings the session's state up to date with the mailbox (Cyrus
// index_refresh_locked, run at every index lock): new messages (with
// \Recent for the first session to see them), changed flags, expunges
// (kept until told), the user's seen state.
func (s *Session) refresh() error {
	sel := s.sel
	if sel == nil {
		return nil
	}
	if sel.gone {
		return errGone
	}
	old := sel.view.Len()
	_, err := sel.view.Refresh()
	if err != nil {
		if errors.Is(err, mailbox.ErrDeleted) || errors.Is(err, mailbox.ErrNotFound) {
			s.mailboxGone()
			return errGone
		}
		return err
	}
	if n := sel.mb.MailboxHeader().Name; n != "" && n != sel.name {
		// renamed under us (by another session, or by this one)
		s.mailboxGone()
		return errGone
	}
	var seenSet uidSet
	recentUID := sel.recentUID
	if !sel.internalSeen || sel.view.Len() > old {
		seenSet, recentUID = s.readSeen(sel)
	}
	if sel.internalSeen && !sel.examine && sel.view.Len() > old {
		recentUID = s.claimRecent(sel)
	}
	for i := old + 1; i <= sel.view.Len(); i++ {
		m := sel.view.Msg(i)
		st := msgState{told: m.ModSeq}
		if m.UID > recentUID {
			st.recent = true
			sel.seenDirty = true
		}
		sel.extra = append(sel.extra, st)
	}
	if !sel.internalSeen {
		for i := uint32(1); i <= sel.view.Len(); i++ {
			sel.extra[i-1].seen = seenSet.has(sel.view.Msg(i).UID)
		}
	}
	s.writeSeen(sel)
	return nil
}

// mailboxGone is what happens when the selected mailbox disappears
// (Cyrus index_check with IMAP_MAILBOX_NONEXISTENT): every message is
// expunged for the client, and the session stays selected on nothing.
func (s *Session) mailboxGone() {
	sel := s.sel
	if sel.gone {
		return
	}
	log.Printf(log.LevelWarning, "Mailbox %s has been (re)moved out from under client", sel.name)
	w := s.wr()
	if n := sel.oldExists; n > 0 {
		if s.qresync || s.uidonly {
			w.RawString("* VANISHED 1:")
			w.Number(sel.view.Header().LastUID)
			w.CRLF()
		} else {
			for ; n > 0; n-- {
				w.Expunge(1)
			}
		}
	}
	sel.gone = true
	sel.oldExists = 0
}

// tellChanges is Cyrus's index_check/index_tellchanges: refresh, then
// tell expunges (only where the protocol allows them, RFC 3501 7.4.1),
// EXISTS and RECENT, a changed FLAGS list, and the flags of messages
// changed by others.
func (s *Session) tellChanges(canExpunge bool) {
	s.tellChangesUID(canExpunge, false)
}

func (s *Session) tellChangesUID(canExpunge, printUID bool) {
	if s.sel == nil {
		return
	}
	if err := s.refresh(); err != nil {
		if !errors.Is(err, errGone) {
			log.Printf(log.LevelErr, "IOERROR: refresh %s: %v", s.sel.name, err)
		}
		return
	}
	s.tellPending(canExpunge, printUID, false)
}

// tellPending writes what refresh found and the client was not told.
func (s *Session) tellPending(canExpunge, printUID, printModSeq bool) {
	sel := s.sel
	if sel == nil || sel.gone {
		return
	}
	if canExpunge {
		s.tellExpunges()
	}
	if sel.oldExists != sel.view.Len() {
		s.tellExists()
	}
	s.checkFlagNames(true)
	for seq := uint32(1); seq <= sel.view.Len(); seq++ {
		// an expunge the client may not hear of yet still shows as a
		// flag change (Cyrus index_tellchanges)
		m := sel.view.Msg(seq)
		if m.ModSeq > sel.extra[seq-1].told {
			s.printFlags(seq, printUID, printModSeq)
		}
	}
}

func (s *Session) tellExists() {
	sel := s.sel
	s.wr().Exists(sel.view.Len())
	s.tellRecent(sel.numRecent())
	sel.oldExists = sel.view.Len()
}

// tellExpunges sends "* n EXPUNGE" (or VANISHED with QRESYNC) for
// messages others expunged, and drops them from the view (Cyrus
// index_tellexpunge). Messages the client never heard of are dropped
// silently.
func (s *Session) tellExpunges() {
	sel := s.sel
	any := false
	for seq := uint32(1); seq <= sel.view.Len(); seq++ {
		if sel.view.Msg(seq).Expunged() {
			any = true
			break
		}
	}
	if !any {
		return
	}
	// keep the per-message state of the survivors, in step with Purge
	kept := sel.extra[:0]
	for seq := uint32(1); seq <= sel.view.Len(); seq++ {
		if !sel.view.Msg(seq).Expunged() {
			kept = append(kept, sel.extra[seq-1])
		}
	}
	gone := sel.view.Purge()
	sel.extra = kept
	var vanished []uint32
	w := s.wr()
	for _, e := range gone {
		if e.Seq > sel.oldExists {
			continue // never told about it
		}
		sel.oldExists--
		if s.qresync || s.uidonly {
			vanished = append(vanished, e.UID)
		} else {
			w.Expunge(e.Seq)
		}
	}
	if len(vanished) > 0 {
		w.Vanished(false, uidSetOf(vanished))
	}
	if s.searchRes != nil {
		s.searchRes = pruneUIDs(s.searchRes, sel.view)
	}
}

// checkFlagNames sends a new FLAGS list when the user flags changed
// (Cyrus index_checkflags).
func (s *Session) checkFlagNames(print bool) {
	sel := s.sel
	names := sel.view.UserFlags()
	if *names == sel.flagNames {
		return
	}
	sel.flagNames = *names
	if print {
		s.listFlags()
	}
}

// printFlags writes an unsolicited "* n FETCH (FLAGS (...))", with UID
// and MODSEQ where RFC 7162 (errata 1807) and Cyrus want them.
func (s *Session) printFlags(seq uint32, printUID, printModSeq bool) {
	sel := s.sel
	m := sel.view.Msg(seq)
	f := s.fetchStart(seq, m.UID) // uidonly.go
	f.Flags(s.flagList(seq))
	if (printUID || s.qresync || s.rev2) && !s.uidonly { // RFC 9051 7.5.2
		f.UID(imap.UID(m.UID))
	}
	if printModSeq || s.condstore {
		f.ModSeq(m.ModSeq)
	}
	f.End()
	sel.extra[seq-1].told = m.ModSeq
}

// flagList is the FLAGS of message seq in Cyrus's order: \Recent,
// \Answered, \Flagged, \Draft, \Deleted, \Seen, then the user flags.
func (s *Session) flagList(seq uint32) []imap.Flag {
	sel := s.sel
	m := sel.view.Msg(seq)
	// The list is written out before the next call: one buffer serves
	// every message of a FETCH.
	out := sel.flagBuf[:0]
	if sel.extra[seq-1].recent && !s.rev2 { // no \Recent in IMAP4rev2
		out = append(out, `\Recent`)
	}
	sf := m.Flags
	if sf&index.FlagAnswered != 0 {
		out = append(out, imap.FlagAnswered)
	}
	if sf&index.FlagFlagged != 0 {
		out = append(out, imap.FlagFlagged)
	}
	if sf&index.FlagDraft != 0 {
		out = append(out, imap.FlagDraft)
	}
	if sf&index.FlagDeleted != 0 {
		out = append(out, imap.FlagDeleted)
	}
	if sel.isSeen(seq) {
		out = append(out, imap.FlagSeen)
	}
	// Only the set bits are visited (a FETCH FLAGS of a large mailbox
	// spent most of its time walking 128 mostly empty slots per message).
	for w, bits := range m.UserFlags {
		for bits != 0 {
			i := w*32 + mathbits.TrailingZeros32(bits)
			bits &= bits - 1
			if name := sel.flagNames[i]; name != "" {
				out = append(out, imap.Flag(name))
			}
		}
	}
	sel.flagBuf = out[:0]
	return out
}

// readSeen returns the user's seen UIDs (for a mailbox without internal
// seen) and the \Recent high-water mark (Cyrus _readseen).
func (s *Session) readSeen(sel *selected) (uidSet, uint32) {
	if sel.internalSeen {
		return uidSet{}, sel.view.Header().RecentUID
	}
	return s.readSeenRecord(sel)
}

// readSeenRecord reads sel.seenUser's seen record of sel.mb.
func (s *Session) readSeenRecord(sel *selected) (uidSet, uint32) {
	db, err := seen.Open(s.srv.list.UserFileOf(sel.seenUser, "seen"), s.srv.cfg.SeenstateDb(), false)
	if err != nil {
		// no seen database yet: nothing seen, everything recent
		return uidSet{}, 0
	}
	defer db.Close()
	sd, err := db.Read(sel.mb.MailboxHeader().UniqueID)
	if err != nil {
		log.Printf(log.LevelErr, "Could not open seen state for %s (%v)", sel.seenUser, err)
		return uidSet{}, sel.mb.Header().LastUID
	}
	return parseUIDSet(sd.SeenUIDs, sd.LastUID), sd.LastUID
}

// claimRecent makes the messages above the owner's \Recent mark, up to
// the view's last UID, this session's: it reads and raises the mark in
// one transaction under the mailbox lock, as Cyrus's index_refresh does
// while it holds the index lock, so that of two sessions refreshing at
// once (one woken by IDLE while another appends) only one calls them
// \Recent. It returns the mark as it was: UIDs above it are \Recent here.
func (s *Session) claimRecent(sel *selected) uint32 {
	last := sel.view.Header().LastUID
	if sel.view.Header().RecentUID >= last {
		return sel.view.Header().RecentUID // claimed already, no lock needed
	}
	tx, err := sel.mb.Begin()
	if err != nil {
		log.Printf(log.LevelErr, "IOERROR: %s: recent: %v", sel.name, err)
		return sel.view.Header().RecentUID
	}
	prev := tx.Header().RecentUID
	if prev >= last {
		tx.Abort()
		sel.recentMark = prev
		return prev
	}
	tx.SetRecent(last, uint32(time.Now().Unix()))
	if err := tx.Commit(); err != nil {
		log.Printf(log.LevelErr, "IOERROR: %s: recent: %v", sel.name, err)
		return prev
	}
	sel.recentMark = last
	return prev
}

// writeSeen writes \Seen and the \Recent mark back when they changed
// (Cyrus index_writeseen): into the index header for internal seen, into
// the user's seen database otherwise. EXAMINE writes nothing.
func (s *Session) writeSeen(sel *selected) {
	if !sel.seenDirty {
		return
	}
	sel.seenDirty = false
	if sel.examine {
		return
	}
	last := sel.view.Header().LastUID
	if sel.internalSeen {
		if sel.view.Header().RecentUID >= last || sel.recentMark >= last {
			sel.recentUID = last
			return
		}
		tx, err := sel.mb.Begin()
		if err != nil {
			log.Printf(log.LevelErr, "IOERROR: %s: recent: %v", sel.name, err)
			return
		}
		tx.SetRecent(last, uint32(time.Now().Unix()))
		if err := tx.Commit(); err != nil {
			log.Printf(log.LevelErr, "IOERROR: %s: recent: %v", sel.name, err)
		}
		sel.recentUID = last
		return
	}
	db, err := seen.Open(s.srv.list.UserFileOf(sel.seenUser, "seen"), s.srv.cfg.SeenstateDb(), true)
	if err != nil {
		log.Printf(log.LevelErr, "IOERROR: open seen state for %s: %v", sel.seenUser, err)
		return
	}
	defer db.Close()
	uid := sel.mb.MailboxHeader().UniqueID
	err = db.Modify(uid, func(sd *seen.Data) error {
		old := *sd
		sd.SeenUIDs = s.buildSeen(sel, old.SeenUIDs)
		if sd.LastUID < last {
			sd.LastUID = last
		}
		if sd.SeenUIDs != old.SeenUIDs || sd.LastUID != old.LastUID {
			sd.LastRead = time.Now().Unix()
			sd.LastChange = int64(sel.view.Header().LastAppendDate)
		}
		return nil
	})
	if err != nil {
		log.Printf(log.LevelErr, "IOERROR: write seen state for %s: %v", sel.seenUser, err)
	}
	sel.recentUID = last
}

// buildSeen is Cyrus's index_buildseen: the seen set of the messages the
// session knows, plus the state of UIDs beyond them from the old record.
func (s *Session) buildSeen(sel *selected, old string) string {
	set := seen.NewMerge()
	for seq := uint32(1); seq <= sel.view.Len(); seq++ {
		m := sel.view.Msg(seq)
		set.Add(m.UID, sel.extra[seq-1].seen && !m.Expunged() || (m.Expunged() && sel.extra[seq-1].seen))
	}
	last := sel.view.Header().LastUID
	oldSet := parseUIDSet(old, 0)
	if max := oldSet.max(); max > last {
		for uid := last + 1; uid <= max; uid++ {
			set.Add(uid, oldSet.has(uid))
		}
	}
	return set.String()
}

// warnQuota is Cyrus's warn_about_quota: an ALERT when a resource of
// the mailbox's quota root is over its limit, or over quotawarn percent
// of it once within quotawarnkb/quotawarnmsg of the limit; at most every
// ten minutes per quota root.
func (s *Session) warnQuota(sel *selected) {
	root := sel.mb.QuotaRoot()
	if root == "" {
		return
	}
	now := time.Now()
	if root == s.lastQuotaRoot && now.Before(s.nextQuotaAlert) {
		return
	}
	s.lastQuotaRoot, s.nextQuotaAlert = root, now.Add(10*time.Minute)
	q, err := s.srv.quota.Read(root)
	if err != nil {
		return
	}
	pcThreshold := int64(s.srv.cfg.Quotawarn())
	thresholds := [quota.NumResources]int64{int64(s.srv.cfg.Quotawarnkb()), int64(s.srv.cfg.Quotawarnmsg()), int64(s.srv.cfg.Quotawarnkb()), 0}
	for r := 0; r < int(quota.NumResources); r++ {
		lim := q.Limit[r]
		if lim < 0 {
			continue
		}
		unit := quota.Units[r]
		if !(thresholds[r] <= 0 || thresholds[r] >= lim || q.Used[r] > (lim-thresholds[r])*unit) {
			continue
		}
		pc := int64(0)
		if lim > 0 {
			pc = int64(float64(q.Used[r]) * 100.0 / float64(lim*unit))
		} else if q.Used[r] > 0 {
			pc = 1 << 31
		}
		switch {
		case q.Used[r] > lim*unit:
			s.wr().RawString("* NO [ALERT] Mailbox is over " + quota.Names[r] + " quota\r\n")
		case pc > pcThreshold:
			s.wr().RawString(fmt.Sprintf("* NO [ALERT] Mailbox is at %d%% of %s quota\r\n", pc, quota.Names[r]))
		}
	}
}
