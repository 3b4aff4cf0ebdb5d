package main

import (
	"strings"

	"gyrus/lib/acl"
	"gyrus/lib/annotate"
	"gyrus/lib/authz"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/quota"
	"gyrus/lib/subs"
)

// autocreateUser is what Cyrus 3.6.1's pop3d does when the maildrop does
// not exist (imap/autocreate.c autocreate_user, which pop3d calls
// without imapd's autocreate_quota >= 0 condition): unless the user is
// anonymous, an admin or a proxyserver, or not in autocreate_users, it
// creates the INBOX (subscribed; with a quota root when
// autocreate_quota or autocreate_quota_messages ask for one) and the
// folders of autocreate_inbox_folders ('|'-separated), subscribed when
// autocreate_subscribe_folders lists them, with the special-use of an
// "xlist-<use>: <folder>" key and the rights of "autocreate_acl:
// <folder> <id> <rights>" keys, then subscribes the shared folders of
// autocreate_subscribe_sharedfolders(_all). The error is Cyrus's: an
// existing INBOX gives mboxlist.ErrExists, a user it must not create
// for ErrNotFound. (autocreate_sieve_script is not done.)
func (s *Server) autocreateUser(userid string) error {
	if userid == "anonymous" || s.authz.IsAdmin(userid) || s.authz.IsProxyServer(userid) {
		return mboxlist.ErrNotFound
	}
	if !authz.MemberOf(userid, strings.Fields(s.cfg.AutocreateUsers())) {
		log.Debug("autocreateinbox", "user", userid, "result", "not in autocreate_users")
		return mboxlist.ErrNotFound
	}
	inbox := s.ns.UserInbox(userid, "")
	if _, err := s.list.Create(mboxlist.CreateRequest{Name: inbox, IsAdmin: true}); err != nil {
		log.Printf(log.LevelErr, "autocreateinbox: User %s, INBOX failed. %v", userid, err)
		return err
	}
	if err := s.subscribe(userid, inbox); err != nil {
		log.Printf(log.LevelErr, "autocreateinbox: User %s, INBOX failed. %v", userid, err)
		return err
	}
	if q, qm := s.cfg.AutocreateQuota(), s.cfg.AutocreateQuotaMessages(); q >= 0 || qm >= 0 {
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
		for _, sub := range subscribe {
			if sub != name {
				continue
			}
			if err := s.subscribe(userid, folder); err != nil {
				log.Printf(log.LevelWarning, "autocreateinbox: User %s, subscription to  %s failed. %v", userid, name, err)
			} else {
				subscribed++
				log.Printf(log.LevelNotice, "autocreateinbox: User %s, subscription to %s succeeded", userid, name)
			}
			break
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

func splitBar(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// subscribe adds a mailbox to the user's subscriptions.
func (s *Server) subscribe(userid, intname string) error {
	db, err := subs.Open(subs.Options{
		Path:        s.list.UserFileOf(userid, "sub"),
		Backend:     s.cfg.SubscriptionDb(),
		UserID:      userid,
		NS:          &s.ns,
		UpgradeLock: s.settings.Layout.LockPath("$SUBS_UPGRADE$" + userid),
		Create:      true,
	})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Add(intname)
}

// autocreateSpecialUse: "xlist-<use>: <folder>" gives the new folder the
// special-use \<use> (the owner's /specialuse annotation), unless one of
// the user's folders has it already.
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
		if err := s.setSpecialUse(e, userid, flag); err != nil {
			log.Printf(log.LevelWarning, "autocreate: failed to set specialuse %s for %s", flag, e.Name)
		} else {
			log.Printf(log.LevelInfo, "autocreate: set specialuse %s for %s", flag, e.Name)
		}
	}
}

func (s *Server) annotations() (*annotate.DB, error) {
	path, backend := annotate.PathFromConfig(s.cfg)
	return annotate.Open(path, backend)
}

func (s *Server) setSpecialUse(e *mboxlist.Entry, userid, flag string) error {
	db, err := s.annotations()
	if err != nil {
		return err
	}
	defer db.Close()
	loc, err := s.settings.Locate(e)
	if err != nil {
		return err
	}
	mb, err := mailbox.Open(loc, s.mbopts, mailbox.ReadWrite)
	if err != nil {
		return err
	}
	defer mb.Close()
	tx, err := mb.Begin()
	if err != nil {
		return err
	}
	t := annotate.Target{UniqueID: e.UniqueID, Owner: s.ns.UserOf(e.Name)}
	if err := db.SetMailbox(tx, t, "/specialuse", userid, []byte(flag)); err != nil {
		tx.Abort()
		return err
	}
	return tx.Commit()
}

// findSpecialUse returns the user's folder that has the special-use
// flag, "" if none.
func (s *Server) findSpecialUse(use, userid string) string {
	db, err := s.annotations()
	if err != nil {
		return ""
	}
	defer db.Close()
	inbox := s.ns.UserInbox(userid, "")
	found := ""
	s.list.Foreach(inbox, 0, func(e *mboxlist.Entry) error {
		if e.Name != inbox && !strings.HasPrefix(e.Name, inbox+".") {
			return nil
		}
		v, ok, err := db.Get(annotate.Target{UniqueID: e.UniqueID, Owner: userid}, "/specialuse", userid)
		if err != nil || !ok {
			return nil
		}
		for _, f := range strings.Fields(string(v)) {
			if strings.EqualFold(f, use) {
				found = e.Name
				return mboxlist.ErrStop
			}
		}
		return nil
	})
	return found
}

// autocreateACL: "autocreate_acl: <folder> <identifier> <rights>", set
// as an admin would.
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
		if err := s.setACL(e.Name, userid, f[1], f[2]); err != nil {
			log.Printf(log.LevelErr, "autocreate_acl %s: unable to setacl for %s to %s: %v", name, f[1], f[2], err)
		}
	}
}

func (s *Server) setACL(intname, userid, identifier, rights string) error {
	e, err := s.list.Lookup(intname)
	if err != nil {
		return err
	}
	old, _ := acl.Parse(e.ACL)
	na, err := s.policy.SetACL(old, acl.SetRequest{Actor: acl.Identity{UserID: userid, IsAdmin: true},
		Owner: userid, Identifier: identifier, Rights: &rights})
	if err != nil {
		return err
	}
	return s.list.SetACL(intname, na.String())
}

// autosubscribeShared subscribes the new user to shared folders it may
// see: those of autocreate_subscribe_sharedfolders, or all with
// autocreate_subscribe_sharedfolders_all.
func (s *Server) autosubscribeShared(userid string) {
	id := acl.Identity{UserID: userid}
	try := func(e *mboxlist.Entry, explicit bool) {
		if s.ns.UserOf(e.Name) != "" || s.ns.ParseInternal(e.Name).Deleted != 0 {
			return
		}
		a, _ := acl.Parse(e.ACL)
		if !s.policy.Rights(id, a, "").Has(acl.Lookup) {
			return
		}
		err := s.subscribe(userid, e.Name)
		if !explicit {
			return
		}
		if err != nil {
			log.Printf(log.LevelWarning, "autosubscribe: User %s to folder %s, subscription failed: %v", userid, e.Name, err)
		} else {
			log.Printf(log.LevelNotice, "autosubscribe: User %s to folder %s, subscription succeeded", userid, e.Name)
		}
	}
	if s.cfg.AutocreateSubscribeSharedfoldersAll() {
		s.list.Foreach("", 0, func(e *mboxlist.Entry) error { try(e, false); return nil })
		return
	}
	for _, name := range splitBar(s.cfg.AutocreateSubscribeSharedfolders()) {
		if e, err := s.list.Lookup(name); err == nil {
			try(e, true)
		}
	}
}
