package main

import "gyrus/lib/imapwire"

// createParamIsList tells whether CREATE's named parameter was given as
// a parenthesised list. Cyrus's cmd_create takes the special uses from
// the items of the USE list (RFC 6154 sec. 3: use-attr list), so an atom
// value ("USE \Sent") names none and the mailbox is created without one
// (recorded in test/imap ext/list/special-use-create).
func createParamIsList(a *imapwire.Create, name string) bool {
	for _, p := range a.Params {
		if p.Name == name {
			return p.List
		}
	}
	return false
}
