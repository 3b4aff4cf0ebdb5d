package mailbox

// Added by the imapd engineer (issue #7); see the report. imapd needs to
// give a record a new modseq without changing its flags: when a user who
// does not own a mailbox sets \Seen, the seen state goes to the user's
// seen database, yet Cyrus rewrites the record "to bump modseq anyway"
// (index.c _fetch_setseen, index_storeseen), so that CONDSTORE clients
// and other sessions learn of the change.

// TouchRecords gives each live record of uids a new modseq, changing
// nothing else. Missing and expunged records are reported as Missing.
func (tx *Tx) TouchRecords(uids []uint32) ([]FlagResult, error) {
	if err := tx.check(); err != nil {
		return nil, err
	}
	out := make([]FlagResult, 0, len(uids))
	for _, uid := range uids {
		res := FlagResult{UID: uid}
		recno := tx.findUID(uid)
		if recno == 0 {
			res.Missing = true
			out = append(out, res)
			continue
		}
		r, err := tx.record(recno)
		if err != nil {
			return out, err
		}
		if r.Expunged() {
			res.Missing, res.Record = true, r
			out = append(out, res)
			continue
		}
		if err := tx.rewrite(recno, r, false); err != nil {
			return out, err
		}
		res.Changed = true
		res.Record, _ = tx.record(recno)
		out = append(out, res)
	}
	return out, nil
}
