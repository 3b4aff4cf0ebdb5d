package mboxlist

import (
	"errors"
	"fmt"
	"strings"

	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
)

// OwnerRights are the rights a user gets on a new mailbox of their own
// (Cyrus ACL_ALL as cyrus_acl_masktostr prints it).
const OwnerRights = "lrswipkxtecdan"

// QuotaHook is what mailbox creation needs from the quota store: the
// quota root of a name, and lib/mailbox's accounting hook.
type QuotaHook interface {
	mailbox.Quota
	// Root returns the quota root governing mailbox name, ok false if none.
	Root(name string) (root string, ok bool, err error)
}

// CreateRequest describes a mailbox to create.
type CreateRequest struct {
	Name      string // internal name
	Kind      Type   // TypeEmail unless a DAV/JMAP collection
	Partition string // "" chooses (parent's, defaultpartition, selection)
	// ACL in tab form; when !HasACL it comes from the parent, or is the
	// owner's full rights for a user's INBOX, or defaultacl.
	ACL    string
	HasACL bool
	// UniqueID, UIDValidity, modseqs: zero chooses (new id, time+1, 1).
	UniqueID      string
	UIDValidity   uint32
	CreatedModSeq uint64
	HighestModSeq uint64
	FolderModSeq  uint64
	Options       uint32 // cyrus.index options (index.Opt*)

	IsAdmin bool
	// Authorize, when set, decides whether a non-admin may create below
	// parent (Cyrus checks the 'k' right there); nil allows.
	Authorize func(parent *Entry) error
	// ForceUser allows user.X.sub without user.X (Cyrus FORCEUSER).
	ForceUser bool
	// DBOnly writes the mailboxes.db entry without creating files.
	DBOnly bool
	// KeepIntermediaries skips filling in missing parents.
	KeepIntermediaries bool
	// Locked says the caller already holds the owner's namespace lock
	// exclusively.
	Locked bool
}

// Create makes a mailbox (Cyrus mboxlist_createmailbox). Order, under the
// owner's namespace lock "*U*<userid>":
//
//  1. checks: the name policy, no active mailbox of that name, a parent
//     (or admin rights), the parent's quota root has room for a folder;
//  2. reservation: an N/I record pair with the 'z' flag is committed, so
//     any other process sees the name as reserved (Cyrus and Gyrus
//     lookups answer "Mailbox is currently reserved");
//  3. files: lib/mailbox creates the directory, cyrus.header and
//     cyrus.index (and charges the quota root one folder);
//  4. commit: one mailboxes.db transaction turns the reservation into the
//     active entry (with the UIDVALIDITY and modseqs the files got) and
//     adds 'i' entries for missing parents.
//
// A crash between 2 and 4 leaves a 'z' entry: ctl_mboxlist -v completes
// it when the files exist and removes it otherwise.
func (l *List) Create(req CreateRequest) (*Entry, error) {
	ns := &l.s.Layout.NS
	if !req.Locked {
		k, err := l.LockNamespace(req.Name, lockExclusive)
		if err != nil {
			return nil, err
		}
		defer k.Release()
	}
	if err := ns.PolicyCheck(req.Name); err != nil {
		return nil, err
	}
	if _, err := l.Lookup(req.Name); err == nil {
		return nil, ErrExists
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	parent, err := l.FindParent(req.Name)
	switch {
	case err == nil:
		if !req.IsAdmin && req.Authorize != nil {
			if err := req.Authorize(parent); err != nil {
				return nil, err
			}
		}
		if q := l.s.Quota; q != nil && !req.DBOnly {
			if root, ok, err := q.Root(req.Name); err != nil {
				return nil, err
			} else if ok {
				// Only the folder count matters: -1 is "don't care" for
				// the others (Cyrus passes QUOTA_DIFFUSE_UNLIMITED), so a
				// root already over its STORAGE still gets a new folder.
				if err := q.Check(root, mailbox.Usage{Storage: -1, Messages: -1, AnnotStorage: -1, Folders: 1}); err != nil {
					return nil, err
				}
			}
		}
	case errors.Is(err, ErrNotFound):
		parent = nil
		if !req.IsAdmin {
			return nil, ErrPermission
		}
		n := ns.ParseInternal(req.Name)
		if !req.ForceUser && n.Deleted == 0 && n.LocalPart != "" && len(n.Boxes) > 0 {
			return nil, ErrPermission
		}
	default:
		return nil, err
	}

	e := &Entry{Name: req.Name, Type: req.Kind.Kind(), UniqueID: req.UniqueID,
		UIDValidity: req.UIDValidity, CreatedModSeq: req.CreatedModSeq, FolderModSeq: req.FolderModSeq}
	if old, err := l.LookupAll(req.Name); err == nil {
		switch {
		case old.Type&Deleted != 0:
			if e.UIDValidity != 0 && e.UIDValidity <= old.UIDValidity {
				e.UIDValidity = old.UIDValidity + 1
			}
		case old.Type&Intermediate != 0:
			if e.UniqueID == "" {
				e.UniqueID = old.UniqueID
			}
			e.CreatedModSeq = old.CreatedModSeq
		}
	}
	// ACL
	e.HasACL = true
	switch {
	case req.HasACL:
		e.ACL = req.ACL
	case parent != nil:
		e.ACL = parent.ACL
	default:
		if owner := ns.UserOf(req.Name); owner != "" {
			e.ACL = owner + "\t" + OwnerRights + "\t"
		} else {
			e.ACL = defaultACL(l.s.DefaultACL)
		}
	}
	pp := ""
	if parent != nil {
		pp = parent.Partition
	}
	part, err := l.s.choosePartition(req.Partition, pp)
	if err != nil {
		return nil, err
	}
	e.Partition = part
	if inbox, err := l.findUserEntry(req.Name); err == nil {
		e.Type |= inbox.Type & LegacyDirs
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	} else if l.s.LegacyDirs {
		e.Type |= LegacyDirs
	}
	if e.UniqueID == "" {
		e.UniqueID = NewUniqueID()
	}

	if req.DBOnly {
		if e.FolderModSeq == 0 {
			e.FolderModSeq = e.CreatedModSeq
		}
		return e, l.commitCreate(e, req.KeepIntermediaries)
	}

	// 2. reservation
	res := e.Clone()
	res.Type |= Reserved
	if err := l.update(func(t *Tx) error { return t.Put(req.Name, res) }); err != nil {
		return nil, err
	}
	undo := func() {
		l.update(func(t *Tx) error {
			cur, err := t.LookupAll(req.Name)
			if err != nil || cur.UniqueID != e.UniqueID || cur.Type&Reserved == 0 {
				return nil
			}
			if err := t.Put(req.Name, nil); err != nil {
				return err
			}
			return t.DeleteID(e.UniqueID)
		})
	}
	// 3. files
	loc, err := l.s.Locate(e)
	if err != nil {
		undo()
		return nil, err
	}
	loc.UserLock = "" // we hold it
	co := mailbox.CreateOptions{Type: e.Type.String(), ACL: e.ACL,
		UIDValidity: e.UIDValidity, HighestModSeq: req.HighestModSeq,
		CreatedModSeq: e.CreatedModSeq, Options: req.Options | uint32(index.OptPOP3NewUIDL)}
	if q := l.s.Quota; q != nil {
		if root, ok, err := q.Root(req.Name); err != nil {
			undo()
			return nil, err
		} else if ok {
			co.QuotaRoot = root
		}
	}
	opts := l.s.Mailbox
	if l.s.Quota != nil {
		opts.Quota = l.s.Quota
	}
	mb, err := mailbox.Create(loc, co, opts)
	if err != nil {
		undo()
		return nil, fmt.Errorf("create %s: %w", req.Name, err)
	}
	h := mb.Header()
	mb.Close()
	e.UIDValidity = h.UIDValidity
	e.CreatedModSeq = h.CreatedModSeq
	if e.FolderModSeq == 0 {
		e.FolderModSeq = h.HighestModSeq
	}
	// 4. commit
	if err := l.commitCreate(e, req.KeepIntermediaries); err != nil {
		mailbox.DeleteFiles(mailbox.WithArchive(loc, l.mailboxOptions()))
		undo()
		return nil, err
	}
	return e, nil
}

func (l *List) commitCreate(e *Entry, keepInter bool) error {
	if err := l.update(func(t *Tx) error { return t.Put(e.Name, e) }); err != nil {
		return err
	}
	if keepInter {
		return nil
	}
	return l.fillIntermediaries(e.Name, e.Type.Kind(), e.FolderModSeq)
}

// update runs fn in one write transaction and commits it.
func (l *List) update(fn func(t *Tx) error) error {
	t, err := l.Begin()
	if err != nil {
		return err
	}
	defer t.Abort()
	if err := fn(t); err != nil {
		return err
	}
	return t.Commit()
}

// Update runs fn in one write transaction and commits it if fn returns nil.
func (l *List) Update(fn func(t *Tx) error) error { return l.update(fn) }

// fillIntermediaries creates the missing ancestors of a user's mailbox
// (Cyrus 3.6.1 mboxlist_update_intermediaries): deepest first, only in
// user hierarchies, never for the magic "INBOX" component, and only where
// no record (or only a tombstone) is. 3.6.1 makes them real mailboxes of
// the child's kind (files included), not 'i' placeholders; 'i' entries
// only appear when a mailbox with children is deleted. The namespace lock
// is held by the caller.
func (l *List) fillIntermediaries(name string, kind Type, modseq uint64) error {
	ns := &l.s.Layout.NS
	n := ns.ParseInternal(name)
	if n.Deleted != 0 || n.LocalPart == "" {
		return nil
	}
	for ; len(n.Boxes) > 0; n.Boxes = n.Boxes[:len(n.Boxes)-1] {
		if len(n.Boxes) == 1 && n.Boxes[0] == "INBOX" {
			return nil
		}
		cur := ns.Internal(n)
		e, err := l.LookupAll(cur)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if e != nil && e.Type&Deleted == 0 {
			continue
		}
		if has, err := l.HasChildren(cur); err != nil {
			return err
		} else if !has {
			continue
		}
		if _, err := l.Create(CreateRequest{Name: cur, Kind: kind, IsAdmin: true,
			CreatedModSeq: modseq, FolderModSeq: modseq, KeepIntermediaries: true, Locked: true}); err != nil {
			return fmt.Errorf("intermediate %s: %w", cur, err)
		}
	}
	return nil
}

// FindParent returns the nearest existing ancestor of name (Cyrus
// mboxlist_findparent): the parent, grandparent... skipping a component
// spelled exactly "INBOX" directly below a user.
func (l *List) FindParent(name string) (*Entry, error) {
	ns := &l.s.Layout.NS
	n := ns.ParseInternal(name)
	for len(n.Boxes) > 0 {
		n.Boxes = n.Boxes[:len(n.Boxes)-1]
		if len(n.Boxes) == 1 && n.Boxes[0] == "INBOX" {
			n.Boxes = n.Boxes[:0]
		}
		e, err := l.Lookup(ns.Internal(n))
		if !errors.Is(err, ErrNotFound) {
			return e, err
		}
	}
	if n.LocalPart != "" && n.Deleted == 0 && name != ns.Internal(n) {
		// a user's folder: the INBOX is the last parent
		e, err := l.Lookup(ns.Internal(n))
		if !errors.Is(err, ErrNotFound) {
			return e, err
		}
	}
	return nil, ErrNotFound
}

// findUserEntry returns the INBOX entry of the owner of name (Cyrus
// mboxlist_findusermbentry), or the nearest parent for shared names.
func (l *List) findUserEntry(name string) (*Entry, error) {
	ns := &l.s.Layout.NS
	n := ns.ParseInternal(name)
	if n.LocalPart == "" {
		return l.FindParent(name)
	}
	n.Deleted = 0
	n.Boxes = nil
	return l.Lookup(ns.Internal(n))
}

// defaultACL turns the defaultacl option ("anyone lrs admin lrswipkxtecda")
// into the tab form.
func defaultACL(s string) string {
	f := strings.Fields(s)
	var pairs [][2]string
	for i := 0; i+1 < len(f); i += 2 {
		pairs = append(pairs, [2]string{f[i], f[i+1]})
	}
	return JoinACL(pairs)
}
