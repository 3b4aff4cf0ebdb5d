// Package duplicate is Cyrus 3.6.1's duplicate delivery database,
// deliver.db (imap/duplicate.c; spec/formats.md §11.4): a record of
// recent deliveries that lmtpd consults before it delivers a message
// (duplicatesuppression) and that Sieve uses to remember vacation replies
// and redirects.
//
// # Records
//
// The key is three NUL-terminated strings, id NUL to NUL date NUL:
//
//   - id: the Message-ID header as received (for Sieve tracking records,
//     another identifier);
//   - to: the uniqueid of the mailbox the message went to (Cyrus 3.6 keys
//     by mailbox id, not by name), or, starting with '.', a Sieve
//     identifier such as ".alice@example.com.sieve.";
//   - date: the Date header of the message (or a marker string).
//
// The value is Cyrus's in-memory struct, in the byte order and sizes of
// x86-64 Linux: the time of the delivery (time_t, 8 bytes little-endian)
// followed by the UID it got (unsigned long, 8 bytes little-endian).
// Records written by Cyrus before UIDs were stored have only the first 8
// bytes; both forms are read.
//
// # Locking and durability
//
// The database is a cyrusdb file (duplicate_db, twoskip by default), so
// its file lock is the only coordination with other processes, Cyrus's
// included. Check reads in a short read transaction. MarkAll writes any
// number of records in ONE transaction, one commit: lmtpd's group
// committer marks the deliveries of the batches committing at the same
// time with it, before their mailboxes are committed (lib/deliver
// checks a mark it finds against the mailbox, so a mark whose mailbox
// commit never happened suppresses nothing), so the database costs one
// commit per group of batches instead of one per message. A DB is safe
// for concurrent use (cyrusdb serialises the transactions of a handle);
// one opened with OpenConcurrent reads through a handle of its own, so
// that checks do not queue behind this process's commits, and commits
// without syncing (cyrusdb.DeferSync): MarkAll then syncs once, and
// MarkAllDeferred leaves the sync to the caller's sync of the file
// system (lmtpd's, which it runs for the message files anyway). Such a
// file stays DIRTY while lmtpd writes; other processes recover it when
// they open it, losing nothing, and it is marked clean when the writes
// pause.
//
// deliver.db is a cache: losing it lets a duplicate through, never loses
// mail.
//
// # Expiry
//
// Prune is cyr_expire -E: records older than a cutoff are deleted, with
// per-"to" overrides (Cyrus's expire table; 0 there means never).
package duplicate
