package main

import (
	"reflect"
	"strings"
	"testing"
)

// A first login creates the INBOX (autocreate_quota >= 0), its quota
// root, the folders of autocreate_inbox_folders with their special-use
// (xlist-*) and subscriptions (autocreate_subscribe_folders), as Cyrus's
// autocreate_user does; later logins change nothing; admins and users
// outside autocreate_users get nothing.
func TestAutocreate(t *testing.T) {
	srv := newTestServer(t, map[string]string{
		"altnamespace":                 "no",
		"unixhierarchysep":             "no",
		"autocreate_quota":             "10000",
		"autocreate_quota_messages":    "500",
		"autocreate_inbox_folders":     "Sent | Drafts|Trash",
		"autocreate_subscribe_folders": "Sent|Trash",
		"xlist-sent":                   "Sent",
		"xlist-trash":                  "Trash",
		"autocreate_users":             "carol dave",
	})
	pc := startPipe(t, srv)
	pc.line()
	pc.ok("a1", "LOGIN carol x")
	u := pc.ok("a2", `LIST "" "*" RETURN (SPECIAL-USE SUBSCRIBED)`)
	// Cyrus's autocreate writes the /specialuse annotation as "\" and the
	// xlist- key's suffix, as is: config keys are lower case, so the
	// attribute is \sent, not \Sent (imap/autocreate.c,
	// autocreate_specialuse_cb). Drafts has no xlist-drafts: no attribute.
	want := []string{
		`* LIST (\Subscribed \HasChildren) "." INBOX`,
		`* LIST (\HasNoChildren) "." INBOX.Drafts`,
		`* LIST (\Subscribed \HasNoChildren \sent) "." INBOX.Sent`,
		`* LIST (\Subscribed \HasNoChildren \trash) "." INBOX.Trash`,
	}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("LIST:\n got %q\nwant %q", u, want)
	}
	// the user's own quota root is shown as INBOX, as Cyrus does
	// (test/imap/scripts/quota/exceeded.golden)
	u = pc.ok("a3", "GETQUOTAROOT INBOX")
	if len(u) != 2 || u[0] != "* QUOTAROOT INBOX INBOX" ||
		u[1] != "* QUOTA INBOX (STORAGE 0 10000 MESSAGE 0 500)" {
		t.Errorf("GETQUOTAROOT: %q", u)
	}
	pc.ok("a4", "LOGOUT")

	// a second login creates nothing more
	pc2 := startPipe(t, srv)
	pc2.line()
	pc2.ok("b1", "LOGIN carol x")
	pc2.ok("b2", "DELETE INBOX.Drafts")
	pc2.ok("b3", "LOGOUT")
	pc3 := startPipe(t, srv)
	pc3.line()
	pc3.ok("c1", "LOGIN carol x")
	if u := pc3.ok("c2", `LIST "" "INBOX.Drafts"`); len(u) != 0 {
		t.Errorf("Drafts came back: %q", u)
	}

	// not in autocreate_users: no INBOX
	pc4 := startPipe(t, srv)
	pc4.line()
	pc4.ok("d1", "LOGIN erin x")
	if _, st := pc4.cmd("d2", "SELECT INBOX"); !strings.HasPrefix(st, "d2 NO ") {
		t.Errorf("erin's INBOX: %s", st)
	}
	// admins get nothing either
	pc5 := startPipe(t, srv)
	pc5.line()
	pc5.ok("e1", "LOGIN admin x")
	if u := pc5.ok("e2", `LIST "" "user.admin*"`); len(u) != 0 {
		t.Errorf("admin's INBOX: %q", u)
	}
}

// autocreate_quota: -1 (the default) creates nothing.
func TestAutocreateOff(t *testing.T) {
	srv := newTestServer(t, map[string]string{"altnamespace": "no", "unixhierarchysep": "no"})
	pc := startPipe(t, srv)
	pc.line()
	pc.ok("a1", "LOGIN frank x")
	if _, st := pc.cmd("a2", "SELECT INBOX"); !strings.Contains(st, " NO ") {
		t.Errorf("INBOX without autocreate: %s", st)
	}
}
