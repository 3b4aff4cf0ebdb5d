package mboxlist

import (
	"errors"
	"strings"

	"gyrus/lib/mboxname"
)

// IterFlags choose which records the iterators yield besides active
// mailboxes (Cyrus MBOXTREE_*).
type IterFlags uint

const (
	WithTombstones    IterFlags = 1 << iota // 'd' entries
	WithIntermediates                       // 'i' entries
	SkipRoot                                // Tree: not the named mailbox itself
	SkipChildren                            // Tree: not its children
	WithDeleted                             // Tree: also DELETED.<name>.* (delayed-deleted copies)
)

var errStop = errors.New("stop")

// Foreach calls fn for each mailbox whose internal name starts with
// prefix (a whole-component prefix when it ends with '.'), in mailboxes.db
// order (Cyrus mboxlist_allmbox). Reservations are yielded; tombstones
// and intermediates only when flags ask. fn runs with no lock held, so it
// may change the list. fn returning ErrStop ends the walk without error.
func (l *List) Foreach(prefix string, flags IterFlags, fn func(*Entry) error) error {
	dbprefix := ""
	if prefix != "" {
		n := l.s.Layout.NS.ParseInternal(prefix)
		if strings.HasSuffix(prefix, ".") {
			n.Boxes = append(n.Boxes, "")
		}
		dbprefix = l.s.Layout.NS.DBName(n)
	}
	return l.foreachDB(dbprefix, flags, fn)
}

// ErrStop ends an iteration early without error.
var ErrStop = errStop

func (l *List) foreachDB(dbprefix string, flags IterFlags, fn func(*Entry) error) error {
	err := l.db.Foreach(NameKey(dbprefix), func(k, v []byte) error {
		e, ok := l.iterEntry(k, v, flags)
		if !ok {
			return nil
		}
		return fn(e)
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

func (l *List) iterEntry(k, v []byte, flags IterFlags) (*Entry, bool) {
	if len(k) == 0 || k[0] != KeyName {
		return nil, false
	}
	e, err := l.codec.Decode(string(k[1:]), v)
	if err != nil {
		return nil, false
	}
	return e, keep(e, flags)
}

func keep(e *Entry, flags IterFlags) bool {
	if flags&WithTombstones == 0 && e.Type&Deleted != 0 {
		return false
	}
	if flags&WithIntermediates == 0 && e.Type&Intermediate != 0 {
		return false
	}
	return true
}

// Tree calls fn for name and the mailboxes below it (Cyrus
// mboxlist_mboxtree), in mailboxes.db order.
func (l *List) Tree(name string, flags IterFlags, fn func(*Entry) error) error {
	dbn := l.dbname(name)
	if flags&SkipRoot == 0 {
		e, err := l.LookupAll(name)
		if err == nil {
			if keep(e, flags) {
				if err := fn(e); err != nil {
					if errors.Is(err, errStop) {
						return nil
					}
					return err
				}
			}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if flags&SkipChildren == 0 {
		if err := l.foreachDB(dbn+string(mboxname.DBHierSep), flags, fn); err != nil {
			return err
		}
	}
	if flags&WithDeleted != 0 {
		dp := l.s.Layout.NS.DeletedPrefix
		var pfx string
		if i := strings.IndexByte(dbn, mboxname.DBDomainSep); i >= 0 {
			pfx = dbn[:i+1] + dp + string(mboxname.DBHierSep) + dbn[i+1:] + string(mboxname.DBHierSep)
		} else {
			pfx = dp + string(mboxname.DBHierSep) + dbn + string(mboxname.DBHierSep)
		}
		return l.foreachDB(pfx, flags, fn)
	}
	return nil
}

// HasChildren reports whether any record (of any kind but a tombstone)
// lies below name (Cyrus mboxlist_haschildren).
func (l *List) HasChildren(name string) (bool, error) {
	found := false
	err := l.foreachDB(l.dbname(name)+string(mboxname.DBHierSep), WithIntermediates, func(*Entry) error {
		found = true
		return errStop
	})
	return found, err
}

// txHasChildren is HasChildren inside a write transaction.
func (t *Tx) HasChildren(name string) (bool, error) {
	found := false
	pfx := NameKey(t.l.dbname(name) + string(mboxname.DBHierSep))
	err := t.tx.Foreach(pfx, func(k, v []byte) error {
		if _, ok := t.l.iterEntry(k, v, WithIntermediates); ok {
			found = true
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return found, err
}

// Foreach is List.Foreach inside the transaction (fn must not write
// through other handles; it may use t).
func (t *Tx) Foreach(prefix string, flags IterFlags, fn func(*Entry) error) error {
	dbprefix := ""
	if prefix != "" {
		n := t.l.s.Layout.NS.ParseInternal(prefix)
		if strings.HasSuffix(prefix, ".") {
			n.Boxes = append(n.Boxes, "")
		}
		dbprefix = t.l.s.Layout.NS.DBName(n)
	}
	var list []*Entry
	err := t.tx.Foreach(NameKey(dbprefix), func(k, v []byte) error {
		if e, ok := t.l.iterEntry(k, v, flags); ok {
			list = append(list, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range list {
		if err := fn(e); err != nil {
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// Match reports whether an external mailbox name matches an IMAP LIST
// pattern (RFC 3501 6.3.8): '*' matches anything, '%' anything but the
// hierarchy separator sep. A leading "INBOX" matches case-insensitively,
// as in Cyrus.
func Match(pattern, name string, sep byte) bool {
	if len(pattern) >= 5 && strings.EqualFold(pattern[:5], "INBOX") &&
		len(name) >= 5 && strings.EqualFold(name[:5], "INBOX") &&
		(len(name) == 5 || name[5] == sep) {
		pattern, name = "INBOX"+pattern[5:], "INBOX"+name[5:]
	}
	return glob(pattern, name, sep)
}

func glob(p, s string, sep byte) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if glob(p, s[i:], sep) {
					return true
				}
			}
			return false
		case '%':
			p = p[1:]
			for i := 0; i <= len(s); i++ {
				if glob(p, s[i:], sep) {
					return true
				}
				if i < len(s) && s[i] == sep {
					return false
				}
			}
			return false
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

// Found is one mailbox of a FindAll answer.
type Found struct {
	Entry    *Entry
	External string // the name as the viewer sees it
}

// FindAll lists the mailboxes whose external name (as v sees it) matches
// any of patterns, for IMAP LIST: the viewer's INBOX first, then the rest
// of its personal folders, then other users' and shared mailboxes, each in
// mailbox order (Cyrus mboxlist_findallmulti's order of categories).
// Access rights are the caller's business: FindAll yields every match
// (intermediates too when flags has WithIntermediates, so LIST can show
// them as \NonExistent parents); fn is called with no lock held.
func (l *List) FindAll(patterns []string, v mboxname.Viewer, flags IterFlags, fn func(Found) error) error {
	ns := &l.s.Layout.NS
	sep := ns.Sep()
	match := func(ext string) bool {
		for _, p := range patterns {
			if Match(p, ext, sep) {
				return true
			}
		}
		return false
	}
	flags &^= WithTombstones
	emit := func(e *Entry) error {
		ext, ok := ns.ToExternal(e.Name, v)
		if !ok || !match(ext) {
			return nil
		}
		return fn(Found{Entry: e, External: ext})
	}
	inbox := ""
	if v.UserID != "" {
		inbox = ns.Internal(ns.FromUserID(v.UserID))
		if err := l.Tree(inbox, flags, emit); err != nil {
			return err
		}
	}
	inboxDB := ""
	if inbox != "" {
		inboxDB = l.dbname(inbox)
	}
	// other users' mailboxes first, then shared ones (Cyrus's category
	// order); the second group is remembered while the first is emitted
	var shared []Found
	err := l.foreachDB("", flags, func(e *Entry) error {
		if inboxDB != "" {
			d := l.dbname(e.Name)
			if d == inboxDB || strings.HasPrefix(d, inboxDB+string(mboxname.DBHierSep)) {
				return nil
			}
		}
		if ns.UserOf(e.Name) != "" {
			return emit(e)
		}
		ext, ok := ns.ToExternal(e.Name, v)
		if ok && match(ext) {
			shared = append(shared, Found{Entry: e, External: ext})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range shared {
		if err := fn(f); err != nil {
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
	return nil
}
