package main

import (
	"errors"
	"os"
	"strings"
	"time"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
)

// CREATE, DELETE and RENAME (RFC 9051 6.3.4-6.3.6, RFC 6154 CREATE
// USE), as Cyrus 3.6.1's cmd_create, cmd_delete and cmd_rename: missing
// ancestors are created as real mailboxes, a mailbox with children is
// not deleted, a rename takes the children along and reports each one.

func (s *Session) cmdCreate(tag string, a *imapwire.Create) {
	name := a.Mailbox
	sep := s.srv.ns.Sep()
	if name != "" && name[len(name)-1] == sep {
		name = name[:len(name)-1]
	}
	n, err := s.parseName(name) // utf8accept.go
	if err == nil {
		err = s.srv.ns.CheckCreate(n)
	}
	if err != nil {
		s.no(tag, errBadName)
		return
	}
	intname := s.srv.ns.Internal(n)
	kind := mboxlist.TypeEmail
	if t, ok := a.Param("TYPE"); ok && len(t) > 0 {
		switch strings.ToUpper(t[0]) {
		case "CALENDAR":
			kind = mboxlist.TypeCalendar
		case "COLLECTION":
			kind = mboxlist.TypeCollection
		case "ADDRESSBOOK":
			kind = mboxlist.TypeAddressbook
		default:
			s.no(tag, errMboxBadType)
			return
		}
	}
	special := ""
	if use, ok := a.Param("USE"); ok {
		if n.LocalPart == "" || len(n.Boxes) != 1 {
			s.no(tag, errSpecialUse)
			return
		}
		var verr error
		if !createParamIsList(a, "USE") {
			use = nil // "USE \Sent" without parentheses: no use (Cyrus reads only a list's items)
		}
		special, verr = s.srv.validateSpecialUse("", s.userid, strings.Join(use, " "))
		if verr != nil {
			s.noCode(tag, "USEATTR", s.errTextOnly(verr))
			return
		}
	}
	partition := a.Partition
	if p, ok := a.Param("PARTITION"); ok && len(p) > 0 {
		partition = p[0]
	}
	uniqueid := ""
	if p, ok := a.Param("MAILBOXID"); ok && len(p) > 0 {
		uniqueid = p[0]
	}
	if (partition != "" || uniqueid != "" || a.Server != "") && !s.isAdmin {
		s.no(tag, errPermission)
		return
	}
	if partition != "" {
		if _, ok := s.srv.settings.PartitionRoot(partition); !ok {
			s.no(tag, errPartition)
			return
		}
	}
	admin := s.isAdmin || s.isProxyAdmin
	authorize := func(parent *mboxlist.Entry) error {
		if s.entryRights(parent).Has(acl.Create) {
			return nil
		}
		return errPermission
	}
	// missing ancestors become real mailboxes (Cyrus cmd_create)
	if err := s.createAncestors(n, kind, partition, admin, authorize); err != nil {
		s.no(tag, err)
		return
	}
	e, err := s.srv.list.Create(mboxlist.CreateRequest{Name: intname, Kind: kind,
		Partition: partition, UniqueID: uniqueid, IsAdmin: admin, Authorize: authorize,
		UIDValidity: s.srv.recreateUIDValidity(intname)})
	if err != nil {
		s.no(tag, err)
		return
	}
	if special != "" {
		if err := s.srv.setMailboxAnnotation(e, "/specialuse", n.UserID(), []byte(special)); err != nil {
			log.Printf(log.LevelErr, "IOERROR: failed to write specialuse for %s on %s (%s)", s.userid, intname, special)
			s.no(tag, err)
			return
		}
	}
	s.rev2OldName(a.Mailbox, e.Name, nil) // rev2.go
	s.okCode(tag, imapwire.CodeMailboxID(e.UniqueID), "Completed")
	s.tellChanges(false)
}

// createAncestors creates the missing ancestors of n as real mailboxes,
// below its nearest existing ancestor (Cyrus cmd_create; RENAME does the
// same for its new name).
func (s *Session) createAncestors(n mboxname.Name, kind mboxlist.Type, partition string, admin bool,
	authorize func(*mboxlist.Entry) error) error {
	intname := s.srv.ns.Internal(n)
	parent, perr := s.srv.list.FindParent(intname)
	if perr != nil && n.LocalPart != "" {
		return nil
	}
	oldest := 0
	if perr == nil {
		oldest = len(s.srv.ns.ParseInternal(parent.Name).Boxes)
	}
	youngest := len(n.Boxes) - 1
	if youngest <= oldest {
		return nil
	}
	if !admin {
		if perr != nil {
			return errPermission
		}
		if err := authorize(parent); err != nil {
			return err
		}
	}
	for i := oldest; i < youngest; i++ {
		anc := n.Clone()
		anc.Boxes = anc.Boxes[:i+1]
		if anc.LocalPart != "" && len(anc.Boxes) == 1 && anc.Boxes[0] == "INBOX" {
			continue
		}
		if _, err := s.srv.list.Create(mboxlist.CreateRequest{Name: s.srv.ns.Internal(anc),
			Kind: kind, Partition: partition, IsAdmin: admin, Authorize: authorize}); err != nil &&
			!errors.Is(err, mboxlist.ErrExists) {
			return err
		}
	}
	return nil
}

// recreateUIDValidity is the UIDVALIDITY for a mailbox created where a
// deleted one left its tombstone: above the old one (Cyrus
// mboxlist_createmailbox); 0 (lib/mboxlist chooses) otherwise.
func (s *Server) recreateUIDValidity(intname string) uint32 {
	old, err := s.list.LookupAll(intname)
	if err != nil || old.Type&mboxlist.Deleted == 0 {
		return 0
	}
	uv := uint32(time.Now().Unix())
	if uv <= old.UIDValidity {
		uv = old.UIDValidity + 1
	}
	return uv
}

// errTextOnly is the NO text of an error without its code.
func (s *Session) errTextOnly(err error) string {
	_, t := s.errText(err)
	return t
}

// validateSpecialUse is Cyrus's specialuse_validate: known flags only
// (plus specialuse_extra), normalised, not already used by another of
// the user's mailboxes, and not on a mailbox with children when
// specialuse_nochildren says so.
func (s *Server) validateSpecialUse(intname, userid, src string) (string, error) {
	valid := strings.Fields(s.cfg.SpecialuseExtra())
	valid = append(valid, `\Archive`, `\Drafts`, `\Important`, `\Junk`, `\Sent`, `\Trash`, `\Snoozed`)
	var cur []string
	if intname != "" {
		if e, err := s.list.Lookup(intname); err == nil {
			cur = strings.Fields(s.specialUse(e))
		}
	}
	var out []string
	for _, item := range strings.Fields(src) {
		j := -1
		for k, v := range valid {
			if strings.EqualFold(v, item) || strings.EqualFold(v[1:], item) {
				j = k
				break
			}
		}
		if j < 0 {
			return "", errBadAnnotEntry
		}
		flag := valid[j]
		already := false
		for _, c := range cur {
			if strings.EqualFold(c, flag) {
				already = true
			}
		}
		if !already {
			if other := s.findSpecialUse(flag, userid); other != "" {
				return "", errSpecialUse
			}
		}
		if intname != "" {
			for _, nc := range strings.Fields(s.cfg.SpecialuseNochildren()) {
				if nc == flag {
					if has, _ := s.list.HasChildren(intname); has {
						return "", errHasChildren
					}
				}
			}
		}
		out = append(out, flag)
	}
	return strings.Join(out, " "), nil
}

func (s *Session) cmdDelete(tag, name string) {
	intname, err := s.internalName(name)
	if err != nil {
		s.no(tag, err)
		return
	}
	n := s.srv.ns.ParseInternal(intname)
	admin := s.isAdmin || s.isProxyAdmin
	authorize := func(e *mboxlist.Entry) error {
		r := s.aclRights(e)
		if r.Has(acl.DeleteMbox) {
			return nil
		}
		if r.Has(acl.Lookup) {
			return errPermission
		}
		return errNonexistent
	}
	deleteUser := false
	var entry *mboxlist.Entry
	if e, lerr := s.srv.list.LookupAll(intname); lerr == nil && e.Type&(mboxlist.Deleted|mboxlist.Reserved) == 0 {
		entry = e
	} else {
		err = errNonexistent
	}
	if err == nil {
		if n.Deleted != 0 {
			_, err = s.srv.list.Delete(mboxlist.DeleteRequest{Name: intname, UserID: s.userid,
				IsAdmin: admin, Authorize: authorize, Immediate: true})
		} else {
			deleteUser = n.IsInbox()
			if !deleteUser {
				if has, _ := s.srv.list.HasChildren(intname); has {
					err = errHasChildren
				}
			}
			if err == nil && s.srv.specialUseProtected(entry) && !admin {
				err = errSpecialUse
			}
			if err == nil && entry.Type&mboxlist.Intermediate == 0 && !(deleteUser && !admin) {
				// MBOXLIST_DELETE_CHECKACL: the 'x' right in the ACL
				// itself, admins included
				if r := s.pureRights(entry); !r.Has(acl.DeleteMbox) {
					owner := s.srv.ns.UserOf(intname) == s.userid && s.srv.policy.ImplicitOwnerRights().Has(acl.Admin)
					if admin || owner || r.Has(acl.Lookup) {
						err = errPermission
					} else {
						err = errNonexistent
					}
				}
			}
			if err == nil {
				if deleteUser && admin {
					err = s.srv.deleteUser(intname, s.userid)
				} else {
					_, err = s.srv.list.Delete(mboxlist.DeleteRequest{Name: intname, UserID: s.userid,
						IsAdmin: admin, Authorize: authorize, KeepIntermediaries: true})
				}
			}
		}
	}
	if err == nil && s.srv.cfg.DeleteUnsubscribe() {
		s.srv.subscribe(s.userid, intname, false)
	}
	s.tellChanges(false)
	if err != nil {
		if errors.Is(err, errHasChildren) {
			s.noText(tag, errHasChildren.Error())
			return
		}
		s.no(tag, err)
		return
	}
	s.rev2OldName(name, "", []string{`\NonExistent`}) // rev2.go
	s.ok(tag)
}

// specialUseProtected: specialuse_protect lists special-use flags whose
// mailboxes only admins may delete.
func (s *Server) specialUseProtected(e *mboxlist.Entry) bool {
	prot := strings.Fields(s.cfg.SpecialuseProtect())
	if len(prot) == 0 || e == nil {
		return false
	}
	for _, f := range strings.Fields(s.specialUse(e)) {
		for _, p := range prot {
			if strings.EqualFold(f, p) {
				return true
			}
		}
	}
	return false
}

// deleteUser removes a user's whole hierarchy and per-user data (Cyrus
// mboxlist_usermboxtree + delmbox + user_deletedata).
func (s *Server) deleteUser(inbox, actor string) error {
	n := s.ns.ParseInternal(inbox)
	userid := n.UserID()
	seenPath := s.list.UserFileOf(userid, "seen")
	subsPath := s.list.UserFileOf(userid, "sub")
	var names []string
	s.list.Tree(inbox, mboxlist.WithIntermediates, func(e *mboxlist.Entry) error {
		names = append(names, e.Name)
		return nil
	})
	// children first, the INBOX last
	for i := len(names) - 1; i >= 0; i-- {
		if names[i] == inbox {
			continue
		}
		if _, err := s.list.Delete(mboxlist.DeleteRequest{Name: names[i], UserID: actor, IsAdmin: true, KeepIntermediaries: true}); err != nil {
			log.Printf(log.LevelErr, "delete %s: %v", names[i], err)
		}
	}
	if _, err := s.list.Delete(mboxlist.DeleteRequest{Name: inbox, UserID: actor, IsAdmin: true, KeepIntermediaries: true}); err != nil {
		return err
	}
	if err := s.list.UnsetQuota(s.quota, inbox); err != nil && !errors.Is(err, errNoRoot) {
		s.quota.Delete(inbox)
	}
	os.Remove(seenPath)
	os.Remove(subsPath)
	return nil
}

func (s *Session) cmdRename(tag string, a *imapwire.Rename) {
	oldName, err := s.internalName(a.From)
	var newName string
	if err == nil {
		var n mboxname.Name
		var to string
		to, err = s.clientName(a.To) // utf8accept.go
		if err == nil {
			n, err = s.srv.ns.RenameName(to, s.viewer())
		}
		if err == nil {
			newName = s.srv.ns.Internal(n)
			err = s.srv.ns.PolicyCheck(newName)
		}
	}
	if err != nil {
		s.no(tag, errBadName)
		return
	}
	if a.Partition != "" && !s.isAdmin {
		s.no(tag, errPermission)
		return
	}
	admin := s.isAdmin || s.isProxyAdmin
	if oldName == newName && !admin {
		// only an admin may move a mailbox to another partition
		s.no(tag, errPermission)
		return
	}
	old, lerr := s.srv.list.Lookup(oldName)
	if strings.EqualFold(a.From, "INBOX") && !admin && lerr == nil {
		err = s.renameInbox(old, newName)
		s.tellChanges(false)
		if err != nil {
			s.no(tag, err)
			return
		}
		s.ok(tag)
		return
	}
	if lerr != nil {
		if has, _ := s.srv.list.HasChildren(oldName); !has {
			s.tellChanges(false)
			s.no(tag, lerr)
			return
		}
	}
	if on, nn := s.srv.ns.ParseInternal(oldName), s.srv.ns.ParseInternal(newName); on.IsInbox() && nn.Deleted == 0 &&
		(!nn.IsInbox() || !s.srv.cfg.Allowusermoves()) {
		// a user's INBOX moves only to another user (allowusermoves)
		s.tellChanges(false)
		s.no(tag, errNotSupported)
		return
	}
	authorize := func(e *mboxlist.Entry) error {
		r := s.aclRights(e)
		if r.Has(acl.DeleteMbox) {
			return nil
		}
		if r.Has(acl.Lookup) {
			return errPermission
		}
		return errNonexistent
	}
	authorizeCreate := func(parent *mboxlist.Entry) error {
		if s.entryRights(parent).Has(acl.Create) {
			return nil
		}
		return errPermission
	}
	// the names that will move, to report them as Cyrus does
	var moved []string
	recursive := !(mboxname.IsPrefix(newName, oldName) || mboxname.IsPrefix(oldName, newName))
	s.srv.list.Tree(oldName, 0, func(e *mboxlist.Entry) error {
		if e.Name == oldName || recursive {
			moved = append(moved, e.Name)
		}
		return nil
	})
	err = s.srv.list.RenameTree(mboxlist.RenameRequest{Old: oldName, New: newName, Partition: a.Partition,
		UserID: s.userid, IsAdmin: admin, Authorize: authorize, AuthorizeCreate: authorizeCreate,
		KeepIntermediaries: true})
	if err == nil {
		// Cyrus creates the missing parents of the new name as real
		// mailboxes (mboxlist_update_intermediaries)
		kind := mboxlist.TypeEmail
		if old != nil {
			kind = old.Type.Kind()
		}
		nn := s.srv.ns.ParseInternal(newName)
		if aerr := s.createAncestors(nn, kind, a.Partition, admin, authorizeCreate); aerr != nil {
			log.Printf(log.LevelErr, "rename %s: parents of %s: %v", oldName, newName, aerr)
		}
	}
	if err == nil && recursive {
		var subs map[string]bool
		if s.srv.cfg.DeleteUnsubscribe() {
			subs = s.subscriptions()
		}
		for _, m := range moved {
			nm := newName + strings.TrimPrefix(m, oldName)
			oe := s.extOrSame(m, m)
			ne := s.extOrSame(nm, nm)
			s.wr().RawString("* OK rename ")
			s.wr().RawString(oe + " " + ne + "\r\n")
			// Cyrus leaves subscriptions alone (delete_unsubscribe
			// drops the old name)
			if subs != nil && subs[m] {
				s.srv.subscribe(s.userid, m, false)
			}
		}
	}
	s.tellChanges(false)
	if err != nil {
		s.no(tag, err)
		return
	}
	s.rev2OldName(a.From, "", []string{`\NonExistent`}) // rev2.go
	s.rev2OldName(a.To, "", nil)
	s.ok(tag)
}

// renameInbox is RFC 9051 6.3.6 for INBOX: a new mailbox receives all
// the messages, INBOX stays (empty), its children do not move.
func (s *Session) renameInbox(inbox *mboxlist.Entry, newName string) error {
	// the new mailbox is created with the user's rights ('k' on the
	// parent; nothing at the top level)
	dest, err := s.srv.list.Create(mboxlist.CreateRequest{Name: newName, Partition: inbox.Partition,
		Authorize: func(parent *mboxlist.Entry) error {
			if s.entryRights(parent).Has(acl.Create) {
				return nil
			}
			return errPermission
		}})
	if err != nil {
		return err
	}
	src, err := s.srv.openMailbox(inbox, mailbox.ReadWrite)
	if err != nil {
		return err
	}
	defer src.Close()
	dmb, err := s.srv.openMailbox(dest, mailbox.ReadWrite)
	if err != nil {
		return err
	}
	defer dmb.Close()
	view, err := src.NewView()
	if err != nil {
		return err
	}
	defer view.Close()
	tx, err := dmb.Begin()
	if err != nil {
		return err
	}
	flags := src.UserFlags()
	var moved []uint32
	for seq := uint32(1); seq <= view.Len(); seq++ {
		rec, err := view.Record(seq)
		if err != nil || rec.Expunged() {
			continue
		}
		c, err := view.CacheOf(&rec)
		if err != nil {
			tx.Abort()
			return err
		}
		var user [4]uint32
		for i, f := range flags {
			if f != "" && rec.HasUserFlag(i) {
				if slot, err := tx.UserFlag(f, mailbox.FlagCreateAny); err == nil {
					user[slot/32] |= 1 << (slot % 32)
				}
			}
		}
		if _, err := tx.Append(&mailbox.NewMessage{Path: msgPath(src, rec.UID),
			Info: mailbox.MessageInfo{Size: rec.Size, HeaderSize: rec.HeaderSize, SentDate: rec.SentDate,
				GMTime: rec.GMTime, GUID: rec.GUID, Cache: encodeCache(c)},
			InternalDate: unixTime(rec.InternalDate), SystemFlags: rec.SystemFlags & 0x1f, UserFlags: user,
			IgnoreQuota: true}); err != nil {
			tx.Abort()
			return err
		}
		moved = append(moved, rec.UID)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if len(moved) == 0 {
		// Cyrus 3.6.1 moves the messages with its COPY code, which
		// answers an empty INBOX so (the new mailbox stays)
		return errNoSuchMsg
	}
	stx, err := src.Begin()
	if err != nil {
		return err
	}
	if _, err := stx.ExpungeUIDs(moved); err != nil {
		stx.Abort()
		return err
	}
	return stx.Commit()
}
