package main

import (
	"errors"
	"strings"

	"gyrus/lib/acl"
	"gyrus/lib/authz"
	"gyrus/lib/log"
	"gyrus/lib/mboxlist"
	"gyrus/lib/quota"
)

// autocreateInbox creates a user's INBOX at first login when
// autocreate_quota is 0 or more (Cyrus autocreate_inbox and
// autocreate_user, imap/autocreate.c): the INBOX, subscribed, with a
// quota root when autocreate_quota or autocreate_quota_messages ask for
// one, then the folders of autocreate_inbox_folders ('|'-separated),
// subscribed when listed in autocreate_subscribe_folders, given the
// special-use of an "xlist-<use>: <folder>" key and the rights of
// "autocreate_acl: <folder> <id> <rights>" keys, and the shared folders
// of autocreate_subscribe_sharedfolders subscribed.
func (s *Server) autocreateInbox(userid string) {
	if s.cfg.AutocreateQuota() < 0 {
		return
	}
	inbox := s.ns.UserInbox(userid, "")
	if _, err := s.list.Lookup(inbox); !errors.Is(err, mboxlist.ErrNotFound) {
		return
	}
	s.autocreateUser(userid)
}

func (s *Server) autocreateUser(userid string) error {
	if userid == "anonymous" {
		return errNonexistent
	}
	if s.authz.IsAdmin(userid) || s.authz.IsProxyServer(userid) {
		return nil
	}
	if !authz.MemberOf(userid, strings.Fields(s.cfg.AutocreateUsers())) {
		log.Debug("autocreateinbox", "user", userid, "result", "not in autocreate_users")
		return nil
	}
	inbox := s.ns.UserInbox(userid, "")
	if _, err := s.list.Create(mboxlist.CreateRequest{Name: inbox, IsAdmin: true}); err != nil {
		log.Printf(log.LevelErr, "autocreateinbox: User %s, INBOX failed. %v", userid, err)
		return err
	}
	if err := s.subscribe(userid, inbox, true); err != nil {
		log.Printf(log.LevelErr, "autocreateinbox: User %s, INBOX failed. %v", userid, err)
		return err
	}
	q, qm := s.cfg.AutocreateQuota(), s.cfg.AutocreateQuotaMessages()
	if q >= 0 || qm >= 0 {
		limits := map[quota.Resource]int64{}
		for r := quota.Resource(0); r < quota.NumResources; r++ {
			limits[r] = quota.Unlimited
		}
		if q != 0 {
			limits[quota.Storage] = int64(q)
		}
		if qm != 0 {
			limits[quota.Message] = int64(qm)
		}
		if err := s.list.SetQuota(s.quota, inbox, limits, false); err != nil {
			log.Printf(log.LevelErr, "autocreateinbox: User %s, QUOTA failed. %v", userid, err)
			return err
		}
	}
	log.Printf(log.LevelNotice, "autocreateinbox: User %s, INBOX was successfully created", userid)

	subscribe := splitBar(s.cfg.AutocreateSubscribeFolders())
	created, subscribed := 0, 0
	for _, name := range splitBar(s.cfg.AutocreateInboxFolders()) {
		folder := s.ns.UserInbox(userid, name)
		e, err := s.list.Create(mboxlist.CreateRequest{Name: folder, IsAdmin: true})
		if err != nil {
			log.Printf(log.LevelWarning, "autocreateinbox: User %s, subfolder %s creation failed. %v", userid, name, err)
			continue
		}
		created++
		log.Printf(log.LevelNotice, "autocreateinbox: User %s, subfolder %s creation succeeded.", userid, name)
		if contains(subscribe, name) {
			if err := s.subscribe(userid, folder, true); err != nil {
				log.Printf(log.LevelWarning, "autocreateinbox: User %s, subscription to  %s failed. %v", userid, name, err)
			} else {
				subscribed++
				log.Printf(log.LevelNotice, "autocreateinbox: User %s, subscription to %s succeeded", userid, name)
			}
		}
		s.autocreateSpecialUse(userid, e, name)
		s.autocreateACL(userid, e, name)
	}
	if created > 0 {
		log.Printf(log.LevelInfo, "User %s, Inbox subfolders, created %d, subscribed %d", userid, created, subscribed)
	}
	s.autosubscribeShared(userid)
	return nil
}

// autocreateSpecialUse: "xlist-<use>: <folder>" gives the new folder the
// special-use \<use>, unless the user already has one.
func (s *Server) autocreateSpecialUse(userid string, e *mboxlist.Entry, name string) {
	for _, o := range s.cfg.OverflowEntries() {
		use, ok := strings.CutPrefix(o.Key, "xlist-")
		if !ok || o.Value != name {
			continue
		}
		flag := "\\" + use
		if existing := s.findSpecialUse(flag, userid); existing != "" {
			log.Printf(log.LevelNotice, "autocreate: not setting specialuse %s for %s, already exists as %s", flag, e.Name, existing)
			continue
		}
		if err := s.setMailboxAnnotation(e, "/specialuse", userid, []byte(flag)); err != nil {
			log.Printf(log.LevelWarning, "autocreate: failed to set specialuse %s for %s", flag, e.Name)
		} else {
			log.Printf(log.LevelInfo, "autocreate: set specialuse %s for %s", flag, e.Name)
		}
	}
}

// autocreateACL: "autocreate_acl: <folder> <identifier> <rights>".
func (s *Server) autocreateACL(userid string, e *mboxlist.Entry, name string) {
	for _, o := range s.cfg.OverflowEntries() {
		if o.Key != "autocreate_acl" {
			continue
		}
		f := strings.Fields(o.Value)
		if len(f) == 0 || f[0] != name {
			continue
		}
		if len(f) != 3 {
			log.Printf(log.LevelWarning, "autocreate: ignoring invalid autocreate_acl: %s", o.Value)
			continue
		}
		if err := acl.CheckRights(f[2]); err != nil {
			log.Printf(log.LevelWarning, "autocreate_acl %s: ignoring invalid rights string '%s': %v", name, f[2], err)
			continue
		}
		rights := f[2]
		if err := s.setACL(e.Name, acl.SetRequest{Actor: acl.Identity{UserID: userid, IsAdmin: true},
			Owner: userid, Identifier: f[1], Rights: &rights}); err != nil {
			log.Printf(log.LevelErr, "autocreate_acl %s: unable to setacl for %s to %s: %v", name, f[1], f[2], err)
		}
	}
}

// autosubscribeShared subscribes the new user to shared folders
// (autocreate_subscribe_sharedfolders, or all of them that the user may
// see with autocreate_subscribe_sharedfolders_all).
func (s *Server) autosubscribeShared(userid string) {
	id := acl.Identity{UserID: userid}
	try := func(e *mboxlist.Entry) {
		if s.ns.UserOf(e.Name) != "" || s.ns.ParseInternal(e.Name).Deleted != 0 {
			return
		}
		a, _ := acl.Parse(e.ACL)
		if !s.policy.Rights(id, a, "").Has(acl.Lookup) {
			return
		}
		s.subscribe(userid, e.Name, true)
	}
	if s.cfg.AutocreateSubscribeSharedfoldersAll() {
		s.list.Foreach("", 0, func(e *mboxlist.Entry) error { try(e); return nil })
		return
	}
	for _, name := range splitBar(s.cfg.AutocreateSubscribeSharedfolders()) {
		if e, err := s.list.Lookup(name); err == nil {
			try(e)
		}
	}
}

func splitBar(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
