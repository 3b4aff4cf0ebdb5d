package main

import (
	"errors"
	"strings"

	"gyrus/lib/acl"
	"gyrus/lib/annotate"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/subs"
)

// viewer is who looks at names: admins (and proxy admins) see the
// standard namespace with user.* (Cyrus mboxname_init_namespace(isadmin)).
func (s *Session) viewer() mboxname.Viewer {
	return mboxname.Viewer{UserID: s.userid, IsAdmin: s.isAdmin || s.isProxyAdmin}
}

// identity is the session's identity for ACL checks.
func (s *Session) identity() acl.Identity {
	return acl.Identity{UserID: s.userid, IsAdmin: s.isAdmin}
}

// internalName converts a mailbox name the client sent into the internal
// name (Cyrus mboxname_from_external). A name starting with '\' names a
// special-use mailbox of the user ("\Sent").
func (s *Session) internalName(ext string) (string, error) {
	ns := &s.srv.ns
	n, err := s.parseName(ext) // utf8accept.go
	if errors.Is(err, mboxname.ErrSpecialUse) {
		if name := s.srv.findSpecialUse(ext, s.userid); name != "" {
			return name, nil
		}
		return "", errNonexistent
	}
	if err != nil {
		return "", err
	}
	return ns.Internal(n), nil
}

// externalName is what the client sees for an internal name.
func (s *Session) externalName(intname string) (string, bool) {
	ns := &s.srv.ns
	n := ns.ParseInternal(intname)
	if s.utf8 {
		return ns.ExternalUTF8(n, s.viewer())
	}
	return ns.External(n, s.viewer())
}

// extOrSame returns the external name, or the client's own spelling when
// none exists.
func (s *Session) extOrSame(intname, typed string) string {
	if e, ok := s.externalName(intname); ok {
		return e
	}
	return typed
}

// entryRights is what the session may do in a mailbox (Cyrus
// cyrus_acl_myrights plus admin and owner rights).
func (s *Session) entryRights(e *mboxlist.Entry) acl.Rights {
	a, _ := acl.Parse(e.ACL)
	return s.srv.policy.Rights(s.identity(), a, s.srv.ns.UserOf(e.Name))
}

// pureRights is Cyrus's cyrus_acl_myrights: what the ACL alone grants,
// admins included (append_setup checks this).
func (s *Session) pureRights(e *mboxlist.Entry) acl.Rights {
	a, _ := acl.Parse(e.ACL)
	return s.srv.policy.ACLRights(s.identity(), a)
}

// aclRights is the ACL part alone (no implicit owner rights).
func (s *Session) aclRights(e *mboxlist.Entry) acl.Rights {
	a, _ := acl.Parse(e.ACL)
	r := s.srv.policy.ACLRights(s.identity(), a)
	if s.isAdmin {
		r |= acl.Lookup | acl.Admin
	}
	return r
}

// lookup finds a mailbox the client named, with Cyrus's answer when it
// is missing or hidden: a mailbox without 'l' (or any right that shows
// it exists) is "Mailbox does not exist" to the session.
func (s *Session) lookup(ext string) (*mboxlist.Entry, string, error) {
	name, err := s.internalName(ext)
	if err != nil {
		return nil, "", err
	}
	e, err := s.srv.list.Lookup(name)
	if err != nil {
		return nil, name, err
	}
	if !s.isAdmin && mboxname.IsPrefix(name, "DELETED") && !s.srv.cfg.Allowdeleted() {
		if s.srv.ns.ParseInternal(name).Deleted != 0 {
			return nil, name, errNonexistent
		}
	}
	return e, name, nil
}

// openMailbox opens a mailbox's files.
func (s *Server) openMailbox(e *mboxlist.Entry, mode mailbox.Mode) (*mailbox.Mailbox, error) {
	loc, err := s.settings.Locate(e)
	if err != nil {
		return nil, err
	}
	return mailbox.Open(loc, s.mbopts, mode)
}

// openSubs opens a user's subscription database.
func (s *Server) openSubs(userid string, create bool) (*subs.DB, error) {
	return subs.Open(subs.Options{
		Path:        s.list.UserFileOf(userid, "sub"),
		Backend:     s.cfg.SubscriptionDb(),
		UserID:      userid,
		NS:          &s.ns,
		UpgradeLock: s.settings.Layout.LockPath("$SUBS_UPGRADE$" + userid),
		Create:      create,
	})
}

// subscribe adds (or removes) a subscription for userid.
func (s *Server) subscribe(userid, intname string, add bool) error {
	db, err := s.openSubs(userid, add)
	if err != nil {
		if !add && errors.Is(err, subs.ErrNoSubs) {
			return nil
		}
		return err
	}
	defer db.Close()
	if add {
		return db.Add(intname)
	}
	return db.Remove(intname)
}

// setMailboxAnnotation writes a mailbox annotation ("/specialuse",
// "/comment"...) inside a transaction of the mailbox, so that its size
// counts against the quota (lib/annotate).
func (s *Server) setMailboxAnnotation(e *mboxlist.Entry, entry, userid string, value []byte) error {
	mb, err := s.openMailbox(e, mailbox.ReadWrite)
	if err != nil {
		return err
	}
	defer mb.Close()
	tx, err := mb.Begin()
	if err != nil {
		return err
	}
	t := s.annotTarget(e)
	if err := s.annot.SetMailbox(tx, t, entry, userid, value); err != nil {
		tx.Abort()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// a mailbox annotation change moves the folder's modseq to the
	// mailbox's (Cyrus mailbox_annot_changed)
	return s.updateFolderModSeq(e.Name, mb.Header().HighestModSeq)
}

// updateFolderModSeq is Cyrus's mboxlist_update_foldermodseq: raise the
// mailboxes.db foldermodseq of a mailbox to modseq.
func (s *Server) updateFolderModSeq(name string, modseq uint64) error {
	return s.list.Update(func(t *mboxlist.Tx) error {
		cur, err := t.Lookup(name)
		if err != nil || cur.FolderModSeq >= modseq {
			return err
		}
		ne := *cur
		ne.FolderModSeq = modseq
		return t.Put(name, &ne)
	})
}

func (s *Server) annotTarget(e *mboxlist.Entry) annotate.Target {
	return annotate.Target{UniqueID: e.UniqueID, Owner: s.ns.UserOf(e.Name)}
}

// specialUse returns the special-use flags of a mailbox as its owner set
// them (the owner's private /specialuse annotation), space-separated.
func (s *Server) specialUse(e *mboxlist.Entry) string {
	owner := s.ns.UserOf(e.Name)
	if owner == "" {
		return ""
	}
	v, ok, err := s.annot.Get(s.annotTarget(e), "/specialuse", owner)
	if err != nil || !ok {
		return e.LegacySpecialUse
	}
	return string(v)
}

// findSpecialUse is Cyrus's mboxlist_find_specialuse: the internal name
// of the user's mailbox that carries the special-use flag use ("\Sent"),
// or "".
func (s *Server) findSpecialUse(use, userid string) string {
	if userid == "" {
		return ""
	}
	inbox := s.ns.UserInbox(userid, "")
	found := ""
	s.list.Foreach(inbox, 0, func(e *mboxlist.Entry) error {
		if e.Name != inbox && !strings.HasPrefix(e.Name, inbox+".") {
			return nil
		}
		for _, f := range strings.Fields(s.specialUse(e)) {
			if strings.EqualFold(f, use) {
				found = e.Name
				return mboxlist.ErrStop
			}
		}
		return nil
	})
	return found
}
