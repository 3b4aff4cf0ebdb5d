// Package mboxname converts mailbox names between the forms Cyrus 3.6.1
// uses, checks them against Cyrus's naming policy, and computes the paths
// derived from them (spec/formats.md §2 and §3).
//
// The forms:
//   - external: what an IMAP client sends and sees. It depends on the
//     Namespace (altnamespace, unixhierarchysep, virtdomains, prefixes)
//     and on who is looking: alice sees her INBOX as "INBOX", an admin as
//     "user.alice"; admins never get the alternate namespace.
//   - internal: '.'-separated, users under "user.<localpart>", a literal
//     '.' inside a component written '^', an optional "<domain>!" prefix,
//     delayed-deleted mailboxes as "DELETED.<name>.<HEXTIME>".
//   - dbname: the mailboxes.db / subscription key form of 3.6, 0x1F
//     between components and 0x1D after the domain, with real characters.
//
// All three are parsed into one Name (Cyrus's mbname_t) and printed from
// it, so every conversion goes through the same parts. The conversions
// follow Cyrus's quirks on purpose (empty components are dropped from
// external names, "INBOX" is matched case-insensitively, a "DELETED."
// name whose last component is not hex loses its deletion time...),
// because clients and spools depend on them; the name table in
// test/names, collected from the real Cyrus 3.6.1, pins them down.
//
// The package is pure: settings come in a plain Namespace struct (see
// NamespaceFromConfig for imapd.conf), there is no global state, no I/O
// and no locking; every function is safe for concurrent use.
package mboxname
