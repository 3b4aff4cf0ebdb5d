package sievedir

import (
	"errors"
	"strings"

	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
)

// Locator finds users' directories (Cyrus user_sieve_path).
type Locator struct {
	list   *mboxlist.List
	layout mboxname.Layout
}

// NewLocator uses the mailbox list (for the INBOX's mailbox id) and its
// layout settings (sievedir, virtdomains, fulldirhash).
func NewLocator(list *mboxlist.List) *Locator {
	return &Locator{list: list, layout: list.Settings().Layout}
}

// UserPath is the directory of userid's scripts: by the mailbox id of
// the user's INBOX, or by name when that INBOX has legacy directories.
// A user without an INBOX has none (ErrNoInbox).
func (l *Locator) UserPath(userid string) (string, error) {
	// Cyrus: "a real userid, with no ^ escaping"
	userid = strings.ReplaceAll(userid, "^", ".")
	ns := l.list.NS()
	n := ns.FromUserID(userid)
	if n.LocalPart == "" {
		return l.layout.SieveDirLegacy(mboxname.Name{Domain: n.Domain}), nil
	}
	e, err := l.list.Lookup(ns.Internal(n))
	if err != nil {
		if errors.Is(err, mboxlist.ErrNotFound) {
			return "", ErrNoInbox
		}
		return "", err
	}
	if e.IsLegacy() {
		return l.layout.SieveDirLegacy(n), nil
	}
	return mboxname.UUIDPath(l.layout.SieveDir, e.UniqueID), nil
}

// User opens userid's directory.
func (l *Locator) User(userid string) (*Dir, error) {
	p, err := l.UserPath(userid)
	if err != nil {
		return nil, err
	}
	return Open(p), nil
}

// GlobalPath is the directory of the global scripts of domain ("" = of
// the whole server): what an admin manages in timsieved.
func (l *Locator) GlobalPath(domain string) string {
	return l.layout.SieveDirLegacy(mboxname.Name{Domain: domain})
}
