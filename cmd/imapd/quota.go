package main

import (
	"errors"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/mboxlist"
	"gyrus/lib/quota"
)

// QUOTA (RFC 9208 / RFC 2087) with Cyrus 3.6.1's resources (STORAGE,
// MESSAGE, X-ANNOTATION-STORAGE, X-NUM-FOLDERS) and rules: GETQUOTA and
// SETQUOTA are for admins, GETQUOTAROOT for anyone who may read the
// mailbox; SETQUOTA sets every resource (those not named become
// unlimited).

func quotaResources(q *quota.Quota) []imapwire.QuotaResource {
	var out []imapwire.QuotaResource
	for r := quota.Resource(0); r < quota.NumResources; r++ {
		if q.Limit[r] < 0 {
			continue
		}
		out = append(out, imapwire.QuotaResource{Name: quota.Names[r], Usage: q.Used[r] / quota.Units[r], Limit: q.Limit[r]})
	}
	return out
}

func (s *Session) cmdGetQuota(tag, name string) {
	s.tellChanges(false)
	if !s.isAdmin && !s.isProxyAdmin {
		s.no(tag, errPermission)
		return
	}
	intname, err := s.internalName(name)
	if err != nil {
		s.no(tag, err)
		return
	}
	q, err := s.srv.quota.Read(intname)
	if err != nil {
		if errors.Is(err, quota.ErrNoRoot) {
			s.no(tag, errNoRoot)
			return
		}
		s.no(tag, err)
		return
	}
	s.wr().Quota(name, quotaResources(q))
	s.ok(tag)
}

func (s *Session) cmdGetQuotaRoot(tag, name string) {
	e, _, err := s.lookup(name)
	if err == nil && !s.isAdmin {
		r := s.aclRights(e)
		if !r.Has(acl.Read) {
			if r.Has(acl.Lookup) {
				err = errPermission
			} else {
				err = errNonexistent
			}
		}
	}
	if err != nil {
		s.no(tag, err)
		return
	}
	root := ""
	if mb, oerr := s.srv.openMailboxRO(e); oerr == nil {
		root = mb.QuotaRoot()
		mb.Close()
	} else {
		s.no(tag, oerr)
		return
	}
	w := s.wr()
	if root == "" {
		w.QuotaRoot(name, nil)
	} else {
		ext := s.extOrSame(root, root)
		w.QuotaRoot(name, []string{ext})
		if q, err := s.srv.quota.Read(root); err == nil {
			w.Quota(ext, quotaResources(q))
		}
	}
	s.tellChanges(false)
	s.ok(tag)
}

func (s *Session) cmdSetQuota(tag string, a *imapwire.SetQuota) {
	// Cyrus's cmd_setquota answers these two before it has read the
	// rest of the line, which then comes back as a line with an
	// invalid tag
	stray := func() { s.wr().RawString("* BAD Invalid tag\r\n") }
	if !s.isAdmin && !s.isProxyAdmin {
		s.no(tag, errPermission)
		stray()
		return
	}
	intname, err := s.internalName(a.Root)
	if err != nil {
		s.no(tag, err)
		return
	}
	limits := map[quota.Resource]int64{}
	for r := quota.Resource(0); r < quota.NumResources; r++ {
		limits[r] = quota.Unlimited
	}
	for _, l := range a.Limits {
		r := quota.ResourceByName(l.Resource)
		if r < 0 {
			s.no(tag, errUnsupportedQuot)
			stray()
			return
		}
		if l.Limit < -1 {
			s.bad(tag, imapwire.TextQuotaBadList)
			return
		}
		limits[r] = l.Limit
	}
	err = s.srv.list.SetQuota(s.srv.quota, intname, limits, a.Force)
	s.tellChanges(false)
	if err != nil {
		if errors.Is(err, mboxlist.ErrNotFound) {
			s.no(tag, errNonexistent)
			return
		}
		s.no(tag, err)
		return
	}
	s.ok(tag)
}
