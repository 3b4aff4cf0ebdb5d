package main

import (
	"errors"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
)

// RFC 4314 ACL commands, with Cyrus 3.6.1's rules (imapd.c cmd_getacl,
// cmd_listrights, cmd_myrights, cmd_setacl; lib/acl holds the rights
// arithmetic).

// cmdGetACL is RFC 4314 3.3 GETACL: admins, the owner and holders of 'a'.
func (s *Session) cmdGetACL(tag, name string) {
	e, intname, err := s.lookup(name)
	if err == nil {
		access := s.srv.policy.ACLRights(s.identity(), mustACL(e.ACL))
		if !access.Has(acl.Admin) && !s.isAdmin && s.srv.ns.UserOf(intname) != s.userid {
			if access.Has(acl.Lookup) {
				err = errPermission
			} else {
				err = errNonexistent
			}
		}
	}
	s.tellChanges(false)
	if err != nil {
		s.no(tag, err)
		return
	}
	entries := make([]imapwire.ACLEntry, 0, 4)
	for _, p := range mboxlist.SplitACL(e.ACL) {
		entries = append(entries, imapwire.ACLEntry{Identifier: p[0], Rights: p[1]})
	}
	s.wr().ACL(name, entries)
	s.ok(tag)
}

// cmdListRights is RFC 4314 3.7 LISTRIGHTS.
func (s *Session) cmdListRights(tag, name, identifier string) {
	e, intname, err := s.lookup(name)
	if err == nil {
		if s.srv.policy.ACLRights(s.identity(), mustACL(e.ACL)) == 0 && !s.isAdmin && s.srv.ns.UserOf(intname) != s.userid {
			err = errNonexistent
		}
	}
	s.tellChanges(false)
	if err != nil {
		s.no(tag, err)
		return
	}
	id := identifier
	if !s.srv.authz.IsAdmin(identifier) {
		// Cyrus canonify_userid with the login id for the domain
		if c, err := s.srv.canonUser(identifier); err == nil {
			id = c
		} else {
			id = ""
		}
	}
	n := s.srv.ns.ParseInternal(intname)
	tail := s.srv.policy.ListRights(id, s.srv.ns.UserOf(intname), n.IsInbox(), s.srv.authz.Admins())
	w := s.wr()
	w.RawString("* LISTRIGHTS ").AString(name).SP().AString(identifier).SP().RawString(tail).CRLF()
	s.ok(tag)
}

// cmdMyRights is RFC 4314 3.8 MYRIGHTS.
func (s *Session) cmdMyRights(tag, name string) {
	e, intname, err := s.lookup(name)
	var rights string
	if err == nil {
		rights, err = s.srv.policy.MyRights(s.identity(), mustACL(e.ACL), s.srv.ns.UserOf(intname))
	}
	s.tellChanges(false)
	if err != nil {
		s.no(tag, err)
		return
	}
	s.wr().MyRights(name, rights)
	s.ok(tag)
}

// cmdSetACL is RFC 4314 3.1 SETACL.
func (s *Session) cmdSetACL(tag string, a *imapwire.SetACL) {
	rights := a.Rights
	s.changeACL(tag, a.Mailbox, a.Identifier, &rights)
}

// cmdDeleteACL is RFC 4314 3.2 DELETEACL.
func (s *Session) cmdDeleteACL(tag, name, identifier string) {
	s.changeACL(tag, name, identifier, nil)
}

func (s *Session) changeACL(tag, name, identifier string, rights *string) {
	_, intname, err := s.lookup(name)
	if err == nil && !s.srv.cfg.Allowsetacl() {
		err = errDisabled
	}
	if err == nil && rights != nil && *rights != "" {
		if cerr := acl.CheckRights(*rights); cerr != nil {
			s.bad(tag, cerr.Error())
			return
		}
	}
	if err == nil {
		err = s.srv.setACL(intname, acl.SetRequest{
			Actor:      acl.Identity{UserID: s.userid, IsAdmin: s.isAdmin || s.isProxyAdmin},
			Owner:      s.srv.ns.UserOf(intname),
			Identifier: identifier,
			Rights:     rights,
		})
	}
	var ire *acl.InvalidRightError
	if errors.As(err, &ire) {
		s.bad(tag, ire.Error())
		return
	}
	s.tellChanges(false)
	if err != nil {
		s.no(tag, err)
		return
	}
	s.ok(tag)
}

// setACL changes a mailbox's ACL: the mailboxes.db entry first (lock
// order, DESIGN.md §4), then the copy in cyrus.header from the committed
// entry, so concurrent changes leave the header with the last one.
func (s *Server) setACL(intname string, req acl.SetRequest) error {
	err := s.list.Update(func(t *mboxlist.Tx) error {
		e, err := t.Lookup(intname)
		if err != nil {
			return err
		}
		if e.Type&(mboxlist.Moving|mboxlist.Reserved|mboxlist.Deleted) != 0 {
			return errNotSupported
		}
		na, err := s.policy.SetACL(mustACL(e.ACL), req)
		if err != nil {
			return err
		}
		e.ACL = na.String()
		e.HasACL = true
		return t.Put(intname, e)
	})
	if err != nil {
		return err
	}
	e, err := s.list.Lookup(intname)
	if err != nil {
		return err
	}
	mb, err := s.openMailbox(e, mailbox.ReadWrite)
	if err != nil {
		return err
	}
	defer mb.Close()
	tx, err := mb.Begin()
	if err != nil {
		return err
	}
	if cur, err := s.list.Lookup(intname); err == nil {
		e = cur
	}
	tx.SetACL(e.ACL)
	tx.BumpModSeq()
	return tx.Commit()
}

func mustACL(s string) acl.ACL {
	a, _ := acl.Parse(s)
	return a
}
