// Package mailbox reads and writes Cyrus 3.6.1 mailboxes: the message
// files "<uid>.", cyrus.header, cyrus.index (minor version 17),
// cyrus.cache (version 11) and the per-message cyrus.annotations, byte
// compatible with real Cyrus so that Cyrus tools and servers and Gyrus
// can work on the same spool, even at the same time. The byte layouts are
// in the subpackage index; this package does files, locks and
// transactions (spec/formats.md §3–§7, §11.5, §12; DESIGN.md §4).
//
//	mb, _ := mailbox.Open(loc, opts, mailbox.ReadWrite)   // name lock shared until Close (or Idle,
//	                                                      // which drops it until the next Begin)
//	v, _ := mb.NewView()                                  // a session's sequence numbers
//	ch, _ := v.Refresh()                                  // NOOP/IDLE: what changed
//	tx, _ := mb.Begin()                                   // namespace + index locks exclusive
//	tx.Append(&mailbox.NewMessage{Staged: st, Info: info})
//	tx.SetFlags(uids, mailbox.FlagChange{Mode: mailbox.StoreAdd, System: index.FlagSeen})
//	tx.Commit()
//	mb.Close()                                            // deferred unlink/repack if possible
//
// # Locks, in the order they are taken
//
//  1. The owner's namespace lock (lock file "*U*<userid>"): shared to
//     open, exclusive for every transaction, as Cyrus 3.6 does. It is
//     held only while the index lock is.
//  2. The mailbox name lock (lock file named by uniqueid, or by name for
//     legacy mailboxes): shared from Open to Close, exclusive to create,
//     repack and delete. While any process holds it shared nobody
//     repacks, so a handle's mapping of cyrus.index stays valid; before
//     waiting for the namespace lock a handle lets go of its name lock
//     and takes it again afterwards (Cyrus does the same, and a process
//     that waits for a lock of rank 1 while holding one of rank 2 can
//     deadlock against Cyrus's repacker).
//  3. cyrus.index: shared for reads (Refresh, Check, ForEachRecord),
//     exclusive from Begin to Commit/Abort. It also covers cyrus.header
//     and cyrus.cache, which have no locks of their own. After every
//     index lock the path is checked to still name the locked inode
//     (a repack renames a new file into place); if not, the new file is
//     opened and locked.
//  4. The quota store, through the Quota hook, at commit.
//  5. cyrus.annotations, in one short transaction at commit.
//
// All locks are OFD locks (gyrus/lib/lockfile): they conflict with the
// classic fcntl locks of Cyrus processes and between handles of one
// process. A handle belongs to one goroutine at a time; sessions open
// handles of their own. A caller that already holds the namespace lock
// (the mailboxes.db code creating or renaming) passes a Location with
// UserLock "" so that it is not taken twice.
//
// # Durability
//
// Commit writes in this order: the new cache entries appended, then the
// new message files, their directory entries and cyrus.cache made
// durable by one sync of their file system (Flush: fileio.SyncFS, a
// syncfs(2) and a flush, shared with every transaction of the process
// that syncs at the same time; a staged file is synced by the first
// transaction that places it), quota charged, annotations committed, cyrus.header rewritten through
// cyrus.header.NEW + fsync + rename + directory fsync, changed and
// appended records written, the index header written, cyrus.index
// fsynced. Appended records only count
// once the header that includes them is written, so a crash before the
// end of Commit loses the appends of that transaction and nothing else;
// Commit returning nil means every message is on disk (the OK to APPEND,
// the 250 to DATA). The fsyncs of a transaction are shared by all its
// messages. Records rewritten in place (flags, expunges) are written
// before the header: a crash between the two leaves records newer than
// the counters in the header, which Check reports and reconstruct fixes.
// A repack writes complete .NEW files, fsyncs them and renames them
// (index first, then cache); a crash between the renames is rolled
// forward by the next locker (the cache of the index's generation is
// taken from cyrus.cache.NEW).
//
// # Invariants
//
//   - Records are in ascending UID order; last_uid never goes down, so
//     a UID is never given twice (Unexpunge appends a copy with a new
//     UID).
//   - Every change of a record takes a new modseq (one per record, as
//     Cyrus does), highestmodseq is the largest; an expunged record is
//     never restored in place.
//   - exists, deleted, answered, flagged, unseen, quota_mailbox_used
//     count exactly the records without EXPUNGED; quota_annot_used and
//     the two sync CRCs follow every change (Check verifies all of it).
//   - Record CRCs, the header CRC and cache entry CRCs are written with
//     every write and checked on every read; a mismatch is an error
//     matching ErrCorrupt that names the file, the offset and the record,
//     never a value used silently. (A cyrus.header whose CRC differs from
//     the one in the index is only logged, as Cyrus does: a crash between
//     its rename and the index write causes it and the next commit
//     mends it.)
//   - Message files are never modified in place; several mailboxes may
//     hard-link one file (singleinstancestore).
//   - Expunged files are unlinked only under the exclusive name lock
//     (nobody has the mailbox open), after the record says UNLINKED.
//
// Not done here: the mailboxes.db side of create/rename/delete (package
// mboxlist), conversations (conversations: yes), archive partitions,
// metapartition_files, index versions other than 16 and 17 (use Cyrus's
// reconstruct -V max first), reconstruct.
package mailbox
