// Package quota is the quota store of Cyrus 3.6.1 (imap/quota_db.c): one
// record per quota root, keyed by the root's internal name, holding the
// usage and limits of the four resources STORAGE, MESSAGE,
// X-ANNOTATION-STORAGE and X-NUM-FOLDERS (spec/formats.md §10.4, §11.3).
//
// The backend comes from quota_db (default quotalegacy: one small file per
// root under <configdirectory>/quota/). Values are the 3.6 dlist
//
//	%(S (<used> [<limit>]) M (...) AS (...) NF (...) [SCAN %(...)] MODSEQ <n>)
//
// and the older text form "<used> <limit> [M <used> <limit> ...]" is read
// too. Usage is in bytes for STORAGE and X-ANNOTATION-STORAGE and a count
// for the others; limits are in KiB for the byte resources.
//
// Invariants and locks:
//   - Every read-modify-write of a root (Charge, SetLimits) runs in one
//     cyrusdb transaction, which holds the root's file lock (quotalegacy)
//     or the database lock (twoskip) until it is written: concurrent
//     charges from several processes never lose an update.
//   - Lock order (DESIGN.md §4): the quota lock is taken after
//     mailboxes.db and after the mailbox's cyrus.index, never before.
//     lib/mailbox calls Check and Charge under the index lock.
//   - Usage never goes below zero (Cyrus logs a "Quota underflow" and
//     clamps); a root that does not exist is neither checked nor charged.
//   - MODSEQ of a root under a user hierarchy goes up by one with every
//     non-silent write (without conversations, as Debian configures Cyrus).
//
// DB implements lib/mailbox's Quota hook (Check, Charge) and
// lib/mboxlist's QuotaHook (Root).
package quota
