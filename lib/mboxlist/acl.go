package mboxlist

import (
	"fmt"

	"gyrus/lib/mailbox"
)

// SetACL replaces the whole ACL of a mailbox (the storage side of IMAP
// SETACL/DELETEACL, Cyrus mboxlist_setacl/mboxlist_updateacl_raw): the
// mailboxes.db records and the copy in cyrus.header change together, under
// the owner's namespace lock; the folder modseq moves on. Rights checks and
// the rights arithmetic (+/- modifiers, canonical letter order) are the
// caller's, which hands the resulting tab-form ACL.
func (l *List) SetACL(name, acl string) error {
	k, err := l.LockNamespace(name, lockExclusive)
	if err != nil {
		return err
	}
	defer k.Release()
	e, err := l.Lookup(name)
	if err != nil {
		return err
	}
	ne := e.Clone()
	ne.ACL, ne.HasACL = acl, true
	if e.Type&Remote == 0 {
		loc, err := l.s.Locate(e)
		if err != nil {
			return err
		}
		loc.UserLock = ""
		mb, err := mailbox.Open(loc, l.mailboxOptions(), mailbox.ReadWrite)
		if err != nil {
			return fmt.Errorf("setacl %s: %w", name, err)
		}
		defer mb.Close()
		tx, err := mb.Begin()
		if err != nil {
			return err
		}
		tx.SetACL(acl)
		ne.FolderModSeq = tx.BumpModSeq()
		if err := tx.Commit(); err != nil {
			return err
		}
	} else {
		ne.FolderModSeq++
	}
	return l.update(func(t *Tx) error { return t.Put(name, ne) })
}
