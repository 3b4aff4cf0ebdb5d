package mboxlist

import (
	"errors"
	"fmt"

	"gyrus/lib/mailbox"
	"gyrus/lib/quota"
)

// SetQuota sets the limits of quota root root (IMAP SETQUOTA, Cyrus
// mboxlist_setquotas). When the root is new, every mailbox at or below it
// whose current root is higher up (or none) moves to it: its cyrus.header
// names the new root and its usage is charged there (and taken from the
// old root). The mailbox root must exist unless force.
func (l *List) SetQuota(q *quota.DB, root string, limits map[quota.Resource]int64, force bool) error {
	if _, err := l.Lookup(root); err != nil && !force {
		return err
	}
	if _, err := q.Read(root); err == nil {
		return q.SetLimits(root, limits)
	} else if !errors.Is(err, quota.ErrNoRoot) {
		return err
	}
	k, err := l.LockNamespace(root, lockExclusive)
	if err != nil {
		return err
	}
	defer k.Release()
	if err := q.SetLimits(root, limits); err != nil {
		return err
	}
	return l.moveQuotaRoots(q, root, func(cur string) bool {
		// take mailboxes whose root is above the new one
		return cur == "" || len(cur) < len(root)
	}, root)
}

// UnsetQuota removes quota root root (Cyrus mboxlist_unsetquota): its
// mailboxes move to the next root up, if any.
func (l *List) UnsetQuota(q *quota.DB, root string) error {
	if _, err := q.Read(root); err != nil {
		return err
	}
	k, err := l.LockNamespace(root, lockExclusive)
	if err != nil {
		return err
	}
	defer k.Release()
	if err := q.Delete(root); err != nil {
		return err
	}
	newRoot, ok, err := q.FindRoot(root)
	if err != nil {
		return err
	}
	if !ok {
		newRoot = ""
	}
	return l.moveQuotaRoots(q, root, func(cur string) bool { return cur == root }, newRoot)
}

func (l *List) moveQuotaRoots(q *quota.DB, root string, take func(cur string) bool, newRoot string) error {
	opts := l.s.Mailbox
	opts.Quota = q
	var first error
	err := l.Tree(root, 0, func(e *Entry) error {
		if e.Type&(Remote|Reserved) != 0 {
			return nil
		}
		loc, err := l.s.Locate(e)
		if err != nil {
			return nil
		}
		loc.UserLock = ""
		mb, err := mailbox.Open(loc, opts, mailbox.ReadWrite)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("%s: %w", e.Name, err)
			}
			return nil
		}
		defer mb.Close()
		if !take(mb.QuotaRoot()) {
			return nil
		}
		tx, err := mb.Begin()
		if err != nil {
			return err
		}
		if err := tx.SetQuotaRoot(newRoot); err != nil {
			tx.Abort()
			return err
		}
		return tx.Commit()
	})
	if err == nil {
		err = first
	}
	return err
}
