package mboxlist

import "gyrus/lib/mboxname"

// UserFile returns the path of a per-user file (suffix "seen", "sub",
// "counters", ...; "" for the directory) of the owner of name, as Cyrus
// 3.6.1's mboxname_conf_getpath finds it (spec/formats.md §3.3): under
// user/uuid/<c0>/<c1>/<inbox-id>/<suffix>.db when the owner's INBOX lives
// by uuid, else the legacy user/<h>/<localpart>.<suffix>. During a rename
// (no INBOX under the name) the INBOXes of former names of name are tried.
// Shared names always use the legacy shared.<suffix>.
func (l *List) UserFile(name mboxname.Name, suffix string) string {
	lay := &l.s.Layout
	ns := &lay.NS
	if name.LocalPart != "" {
		inbox := ns.UserInbox(name.UserID(), "")
		e, err := l.LookupAll(inbox)
		if err != nil {
			if byName, err2 := l.LookupAll(ns.Internal(name)); err2 == nil {
				if byID, err3 := l.LookupID(byName.UniqueID); err3 == nil {
					for _, h := range byID.History {
						old := ns.UserOf(h.Name)
						if old == "" {
							continue
						}
						if e2, err4 := l.LookupAll(ns.UserInbox(old, "")); err4 == nil {
							e, err = e2, nil
							break
						}
					}
				}
			}
		}
		if err == nil && e.UniqueID != "" && !e.IsLegacy() {
			return lay.UserFileUUID(e.UniqueID, suffix)
		}
	}
	return lay.UserFileLegacy(name, suffix)
}

// UserFileOf is UserFile for a userid.
func (l *List) UserFileOf(userid, suffix string) string {
	return l.UserFile(l.s.Layout.NS.FromUserID(userid), suffix)
}
