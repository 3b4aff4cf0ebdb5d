// Package seen is the per-user seen state of Cyrus 3.6.1 (imap/seen_db.c,
// spec/formats.md §11.1): what a user who does not own a mailbox has seen
// in it. One database per user (seenstate_db, default twoskip) at the
// user's "seen" file (lib/mboxlist UserFile), keyed by mailbox uniqueid;
// values are
//
//	1 <lastread> <lastuid> <lastchange> <seenuids>
//
// with seenuids an IMAP sequence set written the way Cyrus writes it
// (SeqSet). The owner's own \Seen lives in cyrus.index, not here.
//
// Locks: Modify holds the database's write lock from the read to the
// write, so two sessions updating one user's seen state never lose an
// update. Lock order: after mailboxes.db and the mailbox's cyrus.index.
package seen
