package mboxlist

import (
	"errors"
	"fmt"

	"gyrus/lib/mailbox"
)

// DeleteRequest describes a mailbox deletion.
type DeleteRequest struct {
	Name    string // internal name
	UserID  string // who deletes (their own INBOX cannot go)
	IsAdmin bool
	// Authorize, when set, decides whether a non-admin may delete e
	// (Cyrus checks the 'x' right).
	Authorize func(e *Entry) error
	// Immediate deletes now even with delete_mode: delayed (Cyrus's
	// admin-forced delete, and cyr_expire removing DELETED.* mailboxes).
	Immediate bool
	// Force goes on when the files cannot be opened.
	Force              bool
	KeepIntermediaries bool
	Locked             bool
}

// Delete removes a mailbox (Cyrus mboxlist_deletemailbox and
// mboxlist_delayed_deletemailbox). With delete_mode: delayed (and not
// Immediate) it is a rename to DELETED.<name>.<HEXTIME> that keeps the
// uniqueid and the files; the old name keeps a tombstone. Otherwise the
// mailboxes.db record becomes a tombstone ('d', or 'i' when children
// remain) in the same commit that precedes the removal of the files; a
// mailbox already in the DELETED hierarchy loses its record altogether.
// It returns the name the mailbox now has (delayed) or "".
func (l *List) Delete(req DeleteRequest) (string, error) {
	ns := &l.s.Layout.NS
	n := ns.ParseInternal(req.Name)
	if n.LocalPart != "" && len(n.Boxes) == 0 && n.Deleted == 0 {
		if n.UserID() == req.UserID {
			return "", ErrNotSupported
		}
		if !req.IsAdmin {
			return "", ErrPermission
		}
	}
	if !req.Locked {
		k, err := l.LockNamespace(req.Name, lockExclusive)
		if err != nil {
			return "", err
		}
		defer k.Release()
	}
	e, err := l.LookupAll(req.Name)
	if err != nil {
		return "", err
	}
	if e.Type&(Deleted|Reserved) != 0 {
		return "", ErrNotFound
	}
	if !req.IsAdmin && req.Authorize != nil && e.Type&Intermediate == 0 {
		if err := req.Authorize(e); err != nil {
			return "", err
		}
	}
	if l.s.DeleteDelayed && !req.Immediate && n.Deleted == 0 && e.Type&Intermediate == 0 {
		newname := ns.ToDeleted(req.Name, l.s.Now().Unix())
		err := l.renameOne(e, newname, "", true, req.KeepIntermediaries)
		if err != nil {
			return "", err
		}
		return newname, nil
	}
	if e.Type&Intermediate != 0 {
		return "", l.update(func(t *Tx) error {
			if n.Deleted != 0 {
				return t.Put(req.Name, nil)
			}
			ne := e.Clone()
			ne.Type |= Deleted
			ne.FolderModSeq++
			return t.Put(req.Name, ne)
		})
	}
	// a real mailbox: mark the files deleted, then the record
	var mb *mailbox.Mailbox
	var tomb *Entry
	if e.Type&Remote == 0 {
		loc, err := l.s.Locate(e)
		if err == nil {
			loc.UserLock = ""
			mb, err = mailbox.Open(loc, l.mailboxOptions(), mailbox.ReadWrite)
		}
		if err != nil && !req.Force {
			return "", err
		}
	}
	if mb != nil {
		defer mb.Close()
		h := mb.Header()
		tomb = &Entry{Type: e.Type.Kind() | Deleted, UniqueID: e.UniqueID, UIDValidity: h.UIDValidity,
			CreatedModSeq: h.CreatedModSeq, FolderModSeq: h.HighestModSeq + 1}
	} else {
		tomb = &Entry{Type: e.Type.Kind() | Deleted}
	}
	err = l.update(func(t *Tx) error {
		if n.Deleted != 0 {
			return t.Put(req.Name, nil)
		}
		has, err := t.HasChildren(req.Name)
		if err != nil {
			return err
		}
		if has {
			tomb.Type = tomb.Type&^Deleted | Intermediate
		}
		return t.Put(req.Name, tomb)
	})
	if err != nil {
		return "", fmt.Errorf("delete %s: %w", req.Name, err)
	}
	if mb != nil {
		tx, err := mb.Begin()
		if err != nil {
			return "", err
		}
		tx.MarkDeleted()
		if err := tx.Commit(); err != nil {
			return "", err
		}
	}
	return "", nil
}

func (l *List) mailboxOptions() mailbox.Options {
	o := l.s.Mailbox
	if l.s.Quota != nil {
		o.Quota = l.s.Quota
	}
	return o
}

var errNoMailbox = errors.New("no mailbox")
