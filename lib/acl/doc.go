// Package acl is Cyrus 3.6.1's mailbox access control: RFC 4314 rights
// with Cyrus's letters and bit values, the ACL string stored in
// mailboxes.db and cyrus.header ("id<TAB>rights<TAB>..."), evaluation for
// an identity, and the SETACL/DELETEACL/GETACL/MYRIGHTS/LISTRIGHTS rules.
//
// Rights are a bit mask (Rights). Letters: l r s w i p k x t e a n and
// the user rights 0-9; 'c' and 'd' are the RFC 2086 macros: on input 'c'
// means k+x (with the default deleteright 'c') and 'd' means t+e, each
// only when none of its member rights is also given; on output 'c' is
// printed when k or x is held and 'd' when t or e is held, which is why
// full rights read "lrswipkxtecdan".
//
// One function answers "what may this identity do here": Policy.Rights
// (the ACL's positive rights minus its negative rights for the identity
// and its groups, plus l and a for admins, plus implicit_owner_rights for
// the mailbox owner). Policy.ACLRights is the ACL part alone, which Cyrus
// uses where it does not add implicit rights.
//
// The package is pure (no I/O, no locks, no global state) and safe for
// concurrent use once a Policy is built. Group membership of a login is
// the caller's business (Identity.Groups); resolving "group:" identifiers
// in SETACL goes through Config.LookupGroup.
package acl
