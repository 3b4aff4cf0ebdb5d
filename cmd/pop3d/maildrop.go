package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gyrus/lib/acl"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/proc"
)

// The maildrop is the user's INBOX, or with popsubfolders and a
// "user+sub" login the folder INBOX.sub (Cyrus mbname_from_extsub: the
// part after '+' split at the hierarchy separator, empty parts dropped).
//
// Locking, as Cyrus 3.6.1's pop3d does it: the mailbox is opened at
// login and stays open (its name lock shared) until the session ends, so
// nobody repacks it; the message list is read once under the index lock,
// which is then let go. There is NO exclusive maildrop lock: a second
// POP3 session (and any IMAP session) may open the same mailbox, each
// works on the list it read at login, and each applies its deletions at
// QUIT under the exclusive index lock. ("Mailbox locked and ready" is
// the answer's historical wording.) The real Cyrus behaves so too,
// which the differential transcripts check.

// errText is Cyrus's error_message for the errors a maildrop can meet.
func errText(err error) string {
	switch {
	case errors.Is(err, mboxlist.ErrNotFound), errors.Is(err, mailbox.ErrNotFound), errors.Is(err, mailbox.ErrDeleted):
		return "Mailbox does not exist"
	case errors.Is(err, mboxlist.ErrExists):
		return "Mailbox already exists"
	case errors.Is(err, mboxlist.ErrReserved):
		return "Mailbox is currently reserved"
	case errors.Is(err, errPermission):
		return "Permission denied"
	}
	return "System I/O error"
}

var errPermission = errors.New("Permission denied")

// openInboxPause is Cyrus's fixed sleep(3) before it reports that the
// maildrop cannot be opened.
var openInboxPause = 3 * time.Second

// openInbox completes a login (Cyrus openinbox): find and open the
// maildrop, check the ACL (popuseacl) and popminpoll, read the message
// list, check maxlogins_per_*. It answers "+OK Mailbox locked and
// ready", or an error after which the session is back in the
// AUTHORIZATION state.
func (s *Session) openInbox() bool {
	srv := s.srv
	n := srv.ns.FromUserID(s.userid)
	if s.hasSub {
		for _, b := range strings.Split(strings.TrimPrefix(s.subfolder, "+"), string(srv.ns.Sep())) {
			if b != "" {
				n.Boxes = append(n.Boxes, b)
			}
		}
	}
	name := srv.ns.Internal(n)
	id := acl.Identity{UserID: s.userid}

	e, err := srv.list.Lookup(name)
	if errors.Is(err, mboxlist.ErrNotFound) {
		// Cyrus tries once more after autocreate_user, whatever the
		// name (a missing subfolder then fails as "already exists")
		if err = srv.autocreateUser(s.userid); err == nil {
			e, err = srv.list.Lookup(name)
		}
	}
	s.useACL = false
	if err == nil && srv.cfg.Popuseacl() {
		s.useACL = true
		a, _ := acl.Parse(e.ACL)
		if r := srv.policy.ACLRights(id, a); e.ACL == "" || !r.Has(acl.Read) {
			if r.Has(acl.Lookup) {
				err = errPermission
			} else {
				err = mboxlist.ErrNotFound
			}
		}
	}
	if err == nil && e.Type.Has(mboxlist.Remote) {
		// A Murder backend: Gyrus does not proxy POP3 (yet); Cyrus's
		// answer when it cannot reach the backend.
		log.Printf(log.LevelErr, "couldn't authenticate to backend server")
		s.reply("-ERR Authentication to backend server failed")
		s.loginFailed()
		return false
	}
	if err != nil {
		time.Sleep(openInboxPause)
		log.Printf(log.LevelInfo, "Unable to open maildrop %s: %s", name, errText(err))
		s.reply("-ERR [SYS/TEMP] Unable to open maildrop: " + errText(err))
		s.loginFailed()
		return false
	}

	loginTime := time.Now().Unix()
	loc, err := srv.settings.Locate(e)
	var mb *mailbox.Mailbox
	if err == nil {
		mb, err = mailbox.Open(loc, srv.mbopts, mailbox.ReadWrite)
	}
	if err != nil {
		time.Sleep(openInboxPause)
		log.Printf(log.LevelErr, "Unable to open maildrop %s: %s", name, errText(err))
		if !errors.Is(err, mailbox.ErrNotFound) && !errors.Is(err, mailbox.ErrDeleted) {
			log.Error("maildrop_open", "mailbox", name, "error", err)
		}
		s.reply("-ERR [SYS/PERM] Unable to open maildrop: " + errText(err))
		s.loginFailed()
		return false
	}
	a, _ := acl.Parse(mb.MailboxHeader().ACL)
	s.rights = srv.policy.ACLRights(id, a)
	if s.useACL && !s.rights.Has(acl.Read) {
		mb.Close()
		msg := "Mailbox does not exist"
		if s.rights.Has(acl.Lookup) {
			msg = "Permission denied"
		}
		log.Printf(log.LevelErr, "Unable to lock maildrop %s: %s", name, msg)
		s.reply("-ERR [IN-USE] Unable to lock maildrop: " + msg)
		s.loginFailed()
		return false
	}
	h := mb.Header()
	if minPoll := int64(srv.minPoll.Seconds()); minPoll > 0 && int64(h.POP3LastLogin)+minPoll > loginTime {
		mb.Close()
		plural := ""
		if minPoll/60 > 1 {
			plural = "s"
		}
		log.Printf(log.LevelErr, "%s: Logins must be at least %d minute%s apart", name, minPoll/60, plural)
		s.replyf("-ERR [LOGIN-DELAY] Logins must be at least %d minute%s apart", minPoll/60, plural)
		s.loginFailed()
		return false
	}

	s.useIMAPFlag = srv.cfg.Popuseimapflags()
	msgs, err := s.readMessages(mb, h)
	if err != nil {
		mb.Close()
		log.Error("maildrop_read", "mailbox", name, "error", err)
		s.reply("-ERR [SYS/PERM] Unable to open maildrop: System I/O error")
		s.loginFailed()
		return false
	}

	if !s.checkLimits() {
		mb.Close()
		s.loginFailed()
		return false
	}
	s.mb, s.mboxName, s.msgs = mb, name, msgs
	s.loginTime = loginTime
	s.uidValidity = h.UIDValidity
	s.newUIDL = h.Options&index.OptPOP3NewUIDL != 0
	if s.ss != nil {
		s.ss.SetUser(s.userid)
		s.ss.SetMailbox(name)
	}
	s.reply("+OK Mailbox locked and ready SESSIONID=<" + s.sessionID + ">")
	return true
}

// readMessages is the message list (Cyrus popd_map): the records that
// are not expunged, nor \Deleted when popuseimapflags is on, nor older
// than the mailbox's pop3showafter time, read under the index lock.
func (s *Session) readMessages(mb *mailbox.Mailbox, h index.Header) ([]msg, error) {
	msgs := make([]msg, 0, h.Exists)
	showAfter := h.POP3ShowAfter
	err := mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if r.Expunged() || uint32(len(msgs)) >= h.Exists {
			return nil
		}
		if s.useIMAPFlag && r.SystemFlags&index.FlagDeleted != 0 {
			return nil
		}
		if showAfter != 0 && r.InternalDate <= showAfter {
			return nil
		}
		msgs = append(msgs, msg{uid: r.UID, size: r.Size})
		return nil
	})
	return msgs, err
}

// loginFailed undoes a login whose maildrop could not be opened: back
// to the AUTHORIZATION state with no user.
func (s *Session) loginFailed() {
	s.authed = false
	s.forgetUser()
}

// checkLimits applies maxlogins_per_host and maxlogins_per_user (Cyrus
// proc_checklimits, counted from the proc files, this session's
// included once it has a user).
func (s *Session) checkLimits() bool {
	maxHost, maxUser := s.srv.cfg.MaxloginsPerHost(), s.srv.cfg.MaxloginsPerUser()
	if maxHost <= 0 && maxUser <= 0 {
		return true
	}
	host := s.clientHost()
	byHost, byUser, err := proc.Count(s.srv.env.ProcDir, host, s.userid)
	if err != nil {
		return true
	}
	if (maxHost <= 0 || byHost < maxHost) && (maxUser <= 0 || byUser < maxUser) {
		return true
	}
	var parts []string
	if maxHost > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d from %s", byHost, maxHost, host))
	}
	if maxUser > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d for %s", byUser, maxUser, s.userid))
	}
	msg := "Too many open connections (" + strings.Join(parts, ", ") + ")"
	s.reply("-ERR " + msg)
	log.Printf(log.LevelErr, "%s", msg)
	return false
}

// cmdQuit is RFC 1939 6 QUIT: the UPDATE state. Under the exclusive
// index lock the POP3 login time is stored (for popminpoll), the
// messages the client deleted are expunged (\Deleted and EXPUNGED in one
// record rewrite, as Cyrus does; expunge_mode then decides when the
// files go), and with popuseimapflags the retrieved ones get \Seen.
// Cyrus answers +OK even when this fails; the failure is logged.
func (s *Session) cmdQuit() {
	if s.mb != nil {
		if err := s.update(); err != nil {
			log.Printf(log.LevelErr, "IOERROR: %s failed to update at QUIT: %v", s.mboxName, err)
		}
		s.closeMailbox()
	}
	s.reply("+OK")
	s.closing = true
}

func (s *Session) update() error {
	tx, err := s.mb.Begin()
	if err != nil {
		return err
	}
	h := tx.Header()
	last := int64(h.POP3LastLogin)
	minPoll := int64(s.srv.minPoll.Seconds())
	if padding := int64(s.srv.pollPadding); minPoll > 0 && padding > 1 {
		// poppollpadding: a burst of logins may use up to padding
		// polls in advance
		min := s.loginTime - minPoll*padding
		if last < min {
			last = min + minPoll
		} else {
			last += minPoll
		}
	} else {
		last = s.loginTime
	}
	tx.SetPOP3LastLogin(uint32(last))

	var del []uint32
	for _, m := range s.msgs {
		if m.deleted {
			del = append(del, m.uid)
		}
	}
	expunged, err := tx.ExpungeAsDeleted(del)
	if err != nil {
		tx.Abort()
		return err
	}
	if s.useIMAPFlag && (!s.useACL || s.rights.Has(acl.SetSeen)) {
		var seen []uint32
		for _, m := range s.msgs {
			if m.seen {
				seen = append(seen, m.uid)
			}
		}
		if len(seen) > 0 {
			if _, err := tx.SetFlags(seen, mailbox.FlagChange{Mode: mailbox.StoreAdd, System: index.FlagSeen}); err != nil {
				tx.Abort()
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if len(expunged) > 0 {
		log.Printf(log.LevelNotice, "Expunged %d messages from %s", len(expunged), s.mboxName)
	}
	return nil
}
