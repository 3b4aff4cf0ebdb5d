package mboxlist

import (
	"fmt"

	"gyrus/lib/mailbox"
)

// RecoverOptions are the hooks Recover needs from stores this package
// does not own.
type RecoverOptions struct {
	// SpecialUse, when set, receives the special-use value of a pre-3.x
	// record (its "specialuse" field), to be written as the owner's
	// private /specialuse annotation of the mailbox (Cyrus 3.6.1 does
	// that at recovery; the 3.6 record has no place for it). When nil
	// such values are reported and dropped.
	SpecialUse func(e *Entry, userid, value string) error
}

// RecoverAction is one change Recover made (or failed to make).
type RecoverAction struct {
	Name string // internal mailbox name
	What string // what was done, in words close to Cyrus's log lines
	Err  error
}

func (a RecoverAction) String() string {
	if a.Err != nil {
		return fmt.Sprintf("%s: %s: %v", a.Name, a.What, a.Err)
	}
	return a.Name + ": " + a.What
}

// Recover is the mailboxes.db part of `ctl_cyrusdb -r` (without -x), as
// Cyrus 3.6.1 runs it at startup after the databases are recovered:
//
//  1. Upgrade a pre-3.6 database (upgraded reports it, so that the caller
//     can upgrade the annotations database as Cyrus does);
//  2. for every record, intermediates included:
//     - a reservation ('z': a create that never finished) is reported
//     and left in place, as the real Cyrus 3.6.1 does (its forced
//     delete fails with "Mailbox is currently reserved");
//     ctl_mboxlist -v (Verify) completes or drops reservations;
//     - a pre-3.x specialuse value is handed to o.SpecialUse and dropped
//     from the record;
//     - an active local mailbox without a uniqueid gets the one of its
//     cyrus.header, and when the header has none either, a new one
//     written to both.
//
// Reverse ACL records ($RACL, the reverseacls option) are not kept by
// Gyrus; Cyrus's step that adds or removes them is not done here.
//
// Run it while no other process uses the mail store (as Cyrus does, from
// START in cyrus.conf); each change takes the owner's namespace lock all
// the same.
func Recover(s Settings, o RecoverOptions) (upgraded bool, actions []RecoverAction, err error) {
	upgraded, special, err := upgrade(s)
	if err != nil {
		return false, nil, fmt.Errorf("mboxlist upgrade of %s: %w", s.Path, err)
	}
	l, err := Open(s)
	if err != nil {
		return upgraded, nil, err
	}
	defer l.Close()
	var all []*Entry
	if err := l.Foreach("", WithIntermediates, func(e *Entry) error {
		all = append(all, e)
		return nil
	}); err != nil {
		return upgraded, nil, err
	}
	add := func(name, what string, err error) {
		actions = append(actions, RecoverAction{Name: name, What: what, Err: err})
	}
	var reserved []*Entry
	for _, e := range all {
		if e.Type&Reserved != 0 {
			reserved = append(reserved, e)
		}
	}
	for _, e := range reserved {
		// Cyrus 3.6.1 tries a forced delete, which its own record
		// update refuses for a reserved name: the entry stays and
		// this error is logged (seen with the real ctl_cyrusdb -r).
		// ctl_mboxlist -v is the tool that settles reservations.
		add(e.Name, "could not remove reserved mailbox", ErrReserved)
	}
	for _, e := range all {
		if e.Type&Reserved != 0 {
			continue
		}
		su := e.LegacySpecialUse
		if v, ok := special[e.Name]; ok && su == "" {
			su = v
		}
		if su != "" {
			var err error
			what := "legacy specialuse " + su + " dropped (no annotation store given)"
			if userid := l.s.Layout.NS.UserOf(e.Name); userid == "" {
				what = "legacy specialuse " + su + " of a shared mailbox dropped"
			} else if o.SpecialUse != nil {
				what = "legacy specialuse " + su + " moved to the /specialuse annotation"
				err = o.SpecialUse(e, userid, su)
			}
			if err == nil && e.LegacySpecialUse != "" {
				ne := e.Clone()
				ne.LegacySpecialUse = ""
				err = l.update(func(t *Tx) error { return t.Put(ne.Name, ne) })
			}
			add(e.Name, what, err)
		}
		if e.UniqueID == "" && e.Type&(Deleted|Intermediate|Remote) == 0 {
			if what, err := l.giveUniqueID(e); what != "" || err != nil {
				add(e.Name, what, err)
			}
		}
	}
	return upgraded, actions, nil
}

// giveUniqueID sets the uniqueid of a record that has none from its
// cyrus.header, making one when the header has none either. It returns
// what it did ("" when the mailbox cannot be opened: Cyrus skips those).
func (l *List) giveUniqueID(e *Entry) (string, error) {
	set, err := l.lockUsers(e.Name)
	if err != nil {
		return "", err
	}
	defer set.release()
	loc, err := l.s.Locate(e)
	if err != nil {
		return "", nil
	}
	loc.UserLock = ""
	mb, err := mailbox.Open(loc, l.mailboxOptions(), mailbox.ReadWrite)
	if err != nil {
		return "", nil
	}
	defer mb.Close()
	what := "mbentry had no uniqueid, setting from header"
	id := mb.MailboxHeader().UniqueID
	var tx *mailbox.Tx
	if id == "" {
		what = "mailbox header had no uniqueid, creating one"
		id = NewUniqueID()
		if tx, err = mb.Begin(); err != nil {
			return what, err
		}
		tx.SetUniqueID(id)
	}
	ne := e.Clone()
	ne.UniqueID = id
	if err := l.update(func(t *Tx) error { return t.Put(ne.Name, ne) }); err != nil {
		if tx != nil {
			tx.Abort()
		}
		return what, err
	}
	if tx != nil {
		return what, tx.Commit()
	}
	return what, nil
}
