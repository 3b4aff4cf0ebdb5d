package mailbox

import "gyrus/lib/mailbox/index"

// Added by the pop3d engineer (issue #9); see the report. At QUIT Cyrus's
// pop3d (imap/pop3d.c expunge_deleted) rewrites each message the client
// deleted ONCE, setting \Deleted and EXPUNGED together, so each record
// takes one modseq. Expunge cannot do that (its records keep the flags
// they had), and SetFlags followed by ExpungeUIDs would take two
// modseqs per message, which CONDSTORE clients would see.

// ExpungeAsDeleted marks each live record of uids \Deleted and EXPUNGED
// in one rewrite, then follows the expunge mode like Expunge. Missing
// and already expunged records are skipped. It returns the UIDs it
// expunged, in the order given.
func (tx *Tx) ExpungeAsDeleted(uids []uint32) ([]uint32, error) {
	if err := tx.check(); err != nil {
		return nil, err
	}
	var out []uint32
	for _, uid := range uids {
		recno := tx.findUID(uid)
		if recno == 0 {
			continue
		}
		r, err := tx.record(recno)
		if err != nil {
			return out, err
		}
		if r.Expunged() {
			continue
		}
		r.SystemFlags |= index.FlagDeleted
		r.InternalFlags |= index.InternalExpunged
		if err := tx.rewrite(recno, r, false); err != nil {
			return out, err
		}
		out = append(out, uid)
	}
	return out, nil
}
