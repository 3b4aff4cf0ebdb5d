package main

import (
	"strconv"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mailbox/index"
)

// REPLACE and UID REPLACE (RFC 8508), which Cyrus 3.6.1 lacks (later
// Cyrus releases have them): an APPEND of the new message, to any
// mailbox, followed by the expunge of the old one from the selected
// mailbox.
//
// Order of events (RFC 8508 section 3.4 and its examples):
//   - the old message must exist (sequence number within what the client
//     knows, or a UID of the view) and the user needs the 't' and 'e'
//     rights on the selected mailbox (setting \Deleted and expunging),
//     checked before any of the message is read, so a refused REPLACE
//     costs no upload;
//   - the new message is appended exactly as APPEND does (appendRun in
//     append.go: rights 'i' on the target, quota, literal8, CATENATE,
//     UTF8 data once enabled; RFC 8508 section 3 forbids MULTIAPPEND,
//     which the parser refuses);
//   - only once the append is committed is the old message expunged (a
//     failed append leaves it untouched, section 3.4). The two are
//     separate transactions: another session may see the new message
//     an instant before the old one goes, which the RFC allows ("the
//     server MUST NOT expunge before the append succeeded");
//   - the answer: an untagged OK carrying APPENDUID (the tagged OK
//     comes after the EXPUNGE, so it cannot carry it), then EXISTS if
//     the new message landed in the selected mailbox, then the EXPUNGE
//     (VANISHED under QRESYNC or UIDONLY), then the tagged OK.

// replaceState is what the APPEND part hands back to REPLACE.
type replaceState struct {
	uid   uint32 // the message being replaced
	byUID bool   // UID REPLACE: FETCH answers carry UIDs
}

// replaceGrammar is the parser grammar of REPLACE.
const replaceGrammar = imapwire.ExtReplace

// cmdReplace runs REPLACE (uid false) and UID REPLACE.
func (s *Session) cmdReplace(tag string, uid bool, r *imapwire.Replace) {
	sel := s.sel
	refuse := func(err error) {
		if derr := r.Append.Discard(); derr != nil {
			s.closing = true
			return
		}
		s.no(tag, err)
	}
	if sel.gone {
		refuse(errGone)
		return
	}
	if sel.examine || !sel.rights.Has(acl.DeleteMsg) || !sel.rights.Has(acl.Expunge) {
		refuse(errPermission)
		return
	}
	var old uint32
	if uid {
		if q, ok := sel.view.Seq(r.Num); ok && r.Num != 0 && q <= sel.oldExists && !sel.view.Msg(q).Expunged() {
			old = r.Num
		}
	} else if r.Num != 0 && r.Num <= sel.oldExists {
		old = sel.view.UID(r.Num)
	}
	if old == 0 {
		refuse(errNoSuchMsg)
		return
	}
	s.appendRun(tag, r.Append, &replaceState{uid: old, byUID: uid})
}

// replaceFinish is called by appendCommit once the new message is in:
// it reports APPENDUID, expunges the old message and answers.
func (s *Session) replaceFinish(tag string, rep *replaceState, canRead bool, validity uint32, uids []uint32) {
	if canRead && len(uids) == 1 {
		code := "APPENDUID " + strconv.FormatUint(uint64(validity), 10) + " " + strconv.FormatUint(uint64(uids[0]), 10)
		s.wr().StatusResponse("*", imapwire.StatusOK, imapwire.Code(code), "Completed")
	}
	// EXISTS for a replacement that went to the selected mailbox
	s.tellChanges(true)
	if err := s.replaceExpunge(rep.uid); err != nil {
		// the new message stays: the client sees it and can retry
		log.Printf(log.LevelErr, "IOERROR: replace: expunge uid %d of %s: %v", rep.uid, s.sel.name, err)
		s.no(tag, err)
		return
	}
	s.tellChangesUID(true, rep.byUID)
	s.ok(tag)
}

// replaceExpunge removes one message of the selected mailbox whatever
// its flags (Cyrus's index_expunge without the \Deleted test). A message
// already gone is no error: someone else expunged it first.
func (s *Session) replaceExpunge(uid uint32) error {
	sel := s.sel
	if sel.gone {
		return errGone
	}
	tx, err := sel.mb.Begin()
	if err != nil {
		return err
	}
	gone, err := tx.Expunge(func(r *index.Record) bool { return r.UID == uid })
	if err != nil {
		tx.Abort()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if len(gone) > 0 {
		log.Printf(log.LevelNotice, "Expunged %d messages from %s", len(gone), sel.name)
	}
	return s.refresh()
}
