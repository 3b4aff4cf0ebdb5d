// Package subs is a user's subscription list as Cyrus 3.6.1 keeps it
// (imap/mboxlist.c mboxlist_*sub*, spec/formats.md §8.6): one database
// per user (subscription_db, default flat) at the user's "sub" file
// (lib/mboxlist UserFile: <user>.sub or .../sub.db).
//
// Keys are "N" + the mailboxes.db name of the mailbox, except that a
// name starting with the owner's own INBOX dbname has that prefix written
// "INBOX" (NINBOX, NINBOX\x1FSent); values are empty; the key
// "\x1FVER\x1F" holds "2". A file without the version key is the pre-3.6
// form (keys are plain internal names) and is upgraded in place on open:
// rewritten to <file>.NEW under the lock "$SUBS_UPGRADE$<userid>" and
// renamed over the old one, as Cyrus does.
//
// Subscriptions are not checked against the mailbox list here: whether a
// name may be subscribed (it exists and the user may see it) is the
// caller's business (IMAP SUBSCRIBE).
package subs
