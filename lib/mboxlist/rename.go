package mboxlist

import (
	"errors"
	"fmt"

	"gyrus/lib/mailbox"
	"gyrus/lib/quota"
)

// RenameRequest describes the rename of a mailbox and everything below it.
type RenameRequest struct {
	Old, New string // internal names
	// Partition moves the mailboxes to another partition ("" keeps each
	// one where it is).
	Partition string
	UserID    string
	IsAdmin   bool
	// Authorize, when set, decides whether a non-admin may rename e (the
	// 'x' right on the source; Create's rules for the target are checked
	// through AuthorizeCreate).
	Authorize       func(e *Entry) error
	AuthorizeCreate func(parent *Entry) error
	// KeepIntermediaries skips creating missing parents of New.
	KeepIntermediaries bool
	Locked             bool
}

type renameItem struct {
	old, neu   *Entry
	oldLoc     mailbox.Location
	newLoc     mailbox.Location
	copyFiles  bool // legacy dirs or partition change: files move
	hasFiles   bool
	quotaRoot  string
	newQuota   string
	quotaKnown bool
	// modseqBumps are folder modseqs taken beyond the rename's own
	// (a user rename's ACL changes)
	modseqBumps uint64
}

// RenameTree renames Old and every mailbox below it to New (Cyrus
// mboxlist_renametree + mboxlist_renamemailbox), atomically with respect
// to other processes: all mailboxes.db changes (each old name becomes a
// tombstone, each new name gets the entry, each I record gains the old name
// in its history) are one transaction, so a reader sees the whole old tree
// or the whole new one. Order:
//
//  1. the namespace locks of both owners (sorted), then checks;
//  2. mailboxes whose files must move (legacy by-name directories, or a
//     partition change) are copied to their new place (hard links);
//  3. one mailboxes.db transaction, committed;
//  4. each mailbox's cyrus.header gets its new name (and quota root); the
//     copied sources are removed.
//
// The rename of a user (user.X to user.Y) also hands X's ACL entries to Y
// in every renamed mailbox (Cyrus's user_renameacl; RenameACLUser), moves
// the quota root user.X to user.Y, and, when X's INBOX is a legacy by-name
// mailbox, X's seen file, subscriptions and sieve directory (Cyrus's
// user_renamedata; by-uuid users keep theirs, which are found by the
// INBOX's uniqueid and name the user's folders relative to INBOX).
//
// Crash recovery (ctl_mboxlist -v): before 3 nothing changed but stray
// copies, which -v removes (a directory no record points to); after 3 the
// database is authoritative, and -v rewrites any cyrus.header whose name
// differs from its record and removes the old copies. No mailbox is lost
// at any point: by-uuid mailboxes never move, copies are made before the
// commit and sources removed after it.
func (l *List) RenameTree(req RenameRequest) error {
	ns := &l.s.Layout.NS
	if req.Old == req.New && req.Partition == "" {
		return ErrExists
	}
	if !req.Locked {
		set, err := l.lockUsers(req.Old, req.New)
		if err != nil {
			return err
		}
		defer set.release()
	}
	on := ns.ParseInternal(req.Old)
	nn := ns.ParseInternal(req.New)
	var oldUser, newUser string // set for the rename of a user
	if on.LocalPart != "" && len(on.Boxes) == 0 && on.Deleted == 0 && req.Old != req.New {
		switch {
		case nn.Deleted != 0:
		case nn.LocalPart != "" && nn.Deleted == 0:
			if !l.s.AllowUserMoves && !req.IsAdmin {
				return ErrNotSupported
			}
			if len(nn.Boxes) == 0 && on.UserID() != nn.UserID() {
				oldUser, newUser = on.UserID(), nn.UserID()
			}
		default:
			return ErrNotSupported
		}
	}
	// collect the tree
	var items []*renameItem
	root, err := l.LookupAll(req.Old)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if root != nil && root.Type&(Reserved|Deleted) == 0 {
		items = append(items, &renameItem{old: root})
	}
	err = l.Tree(req.Old, SkipRoot|WithIntermediates, func(e *Entry) error {
		if e.Type&Reserved == 0 {
			items = append(items, &renameItem{old: e})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return ErrNotFound
	}
	// the checks read in one transaction: a thousand short ones would
	// each wait for the database lock behind other processes
	rtx, err := l.db.BeginRead()
	if err != nil {
		return err
	}
	defer rtx.Abort()
	for _, it := range items {
		newName := req.New + it.old.Name[len(req.Old):]
		if err := ns.PolicyCheck(newName); err != nil {
			return err
		}
		if !req.IsAdmin && req.Authorize != nil && it.old.Type&Intermediate == 0 {
			if err := req.Authorize(it.old); err != nil {
				return err
			}
		}
		if newName != it.old.Name {
			ex, err := l.lookupTx(rtx, newName)
			if err == nil {
				_, err = filter(ex)
			}
			if err == nil {
				return ErrExists
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		ne := it.old.Clone()
		ne.Name = newName
		ne.History = nil
		if req.Partition != "" {
			ne.Partition = req.Partition
		}
		if oldUser != "" {
			if acl := RenameACLUser(ne.ACL, oldUser, newUser); acl != ne.ACL {
				// Cyrus's two ACL changes after the rename each take a
				// folder modseq
				ne.ACL, it.modseqBumps = acl, 2
			}
		}
		it.neu = ne
	}
	rtx.Abort()
	if !req.IsAdmin {
		if _, err := l.FindParent(req.New); err != nil {
			if errors.Is(err, ErrNotFound) {
				return ErrPermission
			}
			return err
		} else if req.AuthorizeCreate != nil {
			p, _ := l.FindParent(req.New)
			if err := req.AuthorizeCreate(p); err != nil {
				return err
			}
		}
	}
	if req.Partition != "" {
		if _, ok := l.s.Partitions[req.Partition]; !ok {
			return ErrPartition
		}
	}
	if err := l.renameItems(items, req); err != nil {
		return err
	}
	if oldUser == "" {
		return nil
	}
	var first error
	if q, ok := l.s.Quota.(*quota.DB); ok && q != nil {
		first = l.moveUserQuotaRoot(q, req.Old, req.New)
	}
	if items[0].old.Name == req.Old && items[0].old.IsLegacy() {
		if err := l.renameLegacyUserData(oldUser, newUser); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// moveUserQuotaRoot gives a renamed user's quota root to the new name, as
// the real Cyrus 3.6.1 ends up after RENAME user.X user.Y: a root named
// user.Y with X's limits, holding the renamed mailboxes and their usage,
// and no root user.X any more. The caller holds both users' locks.
func (l *List) moveUserQuotaRoot(q *quota.DB, oldRoot, newRoot string) error {
	old, err := q.Read(oldRoot)
	if errors.Is(err, quota.ErrNoRoot) {
		return nil
	} else if err != nil {
		return err
	}
	limits := map[quota.Resource]int64{}
	for r := quota.Resource(0); r < quota.NumResources; r++ {
		if old.Limit[r] != quota.Unlimited {
			limits[r] = old.Limit[r]
		}
	}
	if _, err := q.Read(newRoot); errors.Is(err, quota.ErrNoRoot) {
		if err := q.SetLimits(newRoot, limits); err != nil {
			return err
		}
		// the renamed mailboxes (no root, or the old one) move under it
		if err := l.moveQuotaRoots(q, newRoot, func(cur string) bool {
			return cur == "" || cur == oldRoot || len(cur) < len(newRoot)
		}, newRoot); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	return q.Delete(oldRoot)
}

// renameItems runs steps 2 to 4 of RenameTree on checked items.
func (l *List) renameItems(items []*renameItem, req RenameRequest) error {
	opts := l.mailboxOptions()
	// 2. read modseqs, copy moving mailboxes
	var copied []mailbox.Location
	fail := func(err error) error {
		for _, loc := range copied {
			// (with the archive directory the copy filled)
			mailbox.DeleteFiles(mailbox.WithArchive(loc, opts))
		}
		return err
	}
	for _, it := range items {
		if it.old.Type&Intermediate != 0 {
			it.neu.FolderModSeq = it.old.FolderModSeq + 1
			continue
		}
		oldLoc, err := l.s.Locate(it.old)
		if err != nil {
			return fail(err)
		}
		newLoc, err := l.s.Locate(it.neu)
		if err != nil {
			return fail(err)
		}
		oldLoc.UserLock, newLoc.UserLock = "", ""
		it.oldLoc, it.newLoc = oldLoc, newLoc
		it.copyFiles = oldLoc.Dir != newLoc.Dir || oldLoc.MetaDir != newLoc.MetaDir
		mb, err := mailbox.Open(oldLoc, opts, mailbox.ReadWrite)
		if err != nil {
			return fail(fmt.Errorf("rename %s: %w", it.old.Name, err))
		}
		it.hasFiles = true
		h := mb.Header()
		it.neu.UIDValidity = h.UIDValidity
		it.neu.CreatedModSeq = h.CreatedModSeq
		it.neu.FolderModSeq = h.HighestModSeq + 1 + it.modseqBumps
		it.quotaRoot = mb.QuotaRoot()
		if it.copyFiles {
			tx, err := mb.Begin()
			if err == nil {
				err = tx.CopyFiles(newLoc)
				tx.Abort()
			}
			if err != nil {
				mb.Close()
				return fail(fmt.Errorf("rename %s: copy: %w", it.old.Name, err))
			}
			copied = append(copied, newLoc)
		}
		mb.Close()
		if q := l.s.Quota; q != nil {
			r, ok, err := q.Root(it.neu.Name)
			if err != nil {
				return fail(err)
			}
			if ok {
				it.newQuota = r
			}
			it.quotaKnown = true
		}
	}
	// 3. one transaction
	err := l.update(func(t *Tx) error {
		for _, it := range items {
			if it.neu.Name != it.old.Name {
				tomb := &Entry{Type: it.old.Type | Deleted, UIDValidity: it.old.UIDValidity,
					UniqueID: it.old.UniqueID, CreatedModSeq: it.old.CreatedModSeq,
					FolderModSeq: it.neu.FolderModSeq - it.modseqBumps}
				if err := t.Put(it.old.Name, tomb); err != nil {
					return err
				}
			}
			if err := t.Put(it.neu.Name, it.neu); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fail(fmt.Errorf("rename %s: %w", req.Old, err))
	}
	// 4. headers and cleanup
	var first error
	for _, it := range items {
		if !it.hasFiles {
			continue
		}
		if err := l.fixHeader(it.neu, it.newQuota, it.quotaKnown); err != nil && first == nil {
			first = err
		}
		if it.copyFiles {
			// the archived files of the old place go too
			if err := mailbox.DeleteFiles(mailbox.WithArchive(it.oldLoc, opts)); err != nil && first == nil {
				first = err
			}
		}
	}
	if !req.KeepIntermediaries {
		if err := l.fillIntermediaries(items[0].neu.Name, items[0].neu.Type.Kind(), items[0].neu.FolderModSeq); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// renameOne renames a single mailbox (delayed delete's move to DELETED.*).
func (l *List) renameOne(e *Entry, newname, partition string, locked, keepInter bool) error {
	req := RenameRequest{Old: e.Name, New: newname, Partition: partition, IsAdmin: true,
		Locked: locked, KeepIntermediaries: keepInter}
	if !locked {
		set, err := l.lockUsers(e.Name, newname)
		if err != nil {
			return err
		}
		defer set.release()
	}
	ne := e.Clone()
	ne.Name = newname
	ne.History = nil
	if req.Partition != "" {
		ne.Partition = req.Partition
	}
	it := &renameItem{old: e, neu: ne}
	return l.renameItems([]*renameItem{it}, req)
}

// RenameACLUser gives olduser's rights in a tab-form ACL to newuser, as
// Cyrus 3.6.1's user_renameacl does when a user is renamed (a SETACL for
// the new identifier, then a DELETEACL of the old one): newuser's entry is
// replaced in place if it exists, else appended; olduser's entry goes.
// Negative entries ("-olduser") are left alone, as Cyrus leaves them.
func RenameACLUser(acl, olduser, newuser string) string {
	pairs := SplitACL(acl)
	rights, found := "", false
	for _, p := range pairs {
		if p[0] == olduser {
			rights, found = p[1], true
			break
		}
	}
	if !found || olduser == newuser {
		return acl
	}
	out := make([][2]string, 0, len(pairs)+1)
	replaced := false
	for _, p := range pairs {
		switch p[0] {
		case olduser:
			continue
		case newuser:
			p[1], replaced = rights, true
		}
		out = append(out, p)
	}
	if !replaced {
		out = append(out, [2]string{newuser, rights})
	}
	return JoinACL(out)
}
