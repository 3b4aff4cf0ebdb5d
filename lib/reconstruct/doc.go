// Package reconstruct repairs Cyrus 3.6.1 mailboxes from what is left on
// disk: it rebuilds a missing or damaged cyrus.index, cyrus.cache or
// cyrus.header from the message files, keeps every record (and so every
// flag) that can still be read, and puts mailboxes.db and the mailbox
// files back in agreement. It is the engine of the reconstruct(8) and
// chk_cyrus(8) programs and follows Cyrus's imap/reconstruct.c and
// mailbox_reconstruct() step by step, printing the same repair messages
// (spec/tools.md §3.1) so that scripts which read them keep working.
//
//	r := reconstruct.New(env, reconstruct.Options{MakeChanges: true, Stat: true})
//	err := r.Mailbox("user.alice")        // one mailbox, by internal name
//
// # What one run does to a mailbox
//
//  1. cyrus.header is read; if it is unreadable it is written again from
//     the mailboxes.db entry (name, uniqueid, ACL) and the quota root,
//     keeping the index (Cyrus 3.6.1 throws the whole index away then).
//  2. cyrus.index is read. If its header is unreadable (missing file,
//     bad CRC, unknown version, truncated), the index is built again: the
//     records whose own CRC still checks out are kept (with their flags);
//     everything else comes from the message files; the mailbox gets a new
//     UIDVALIDITY, as in Cyrus, because its last UID is lost.
//  3. Records that cannot be read, are out of UID order or repeat a UID
//     are wiped (uid 0, expunged, unlinked); their files are then found
//     again and appended with new UIDs. Records whose file is missing or
//     empty are expunged; files with no record are appended, above the
//     last UID with their own UID, below it with a new one. Derived fields
//     (size, GUID, dates, cache entry) are recomputed from the file when the
//     size differs, the cache entry is unreadable, or -G asks for it.
//  4. The index header counters, sync CRCs, last UID and highest modseq
//     are recomputed from the records; every change is printed.
//  5. mailboxes.db is compared with the mailbox (uniqueid, UIDVALIDITY,
//     ACL) and the side that is wrong is fixed (-M: mailboxes.db wins).
//
// # Locks (the same as the services, in the same order)
//
//  1. the owner's namespace lock, exclusive, for the whole mailbox
//     (Cyrus's do_reconstruct takes it too);
//  2. the mailbox name lock: shared while records are repaired in place,
//     so that sessions that have the mailbox open keep it open;
//     exclusive only when cyrus.index must be rebuilt from scratch
//     (nobody can have such a mailbox open usefully anyway);
//  3. cyrus.index, exclusive, from the first read to the last write;
//  4. cyrus.annotations and the quota root after that, briefly;
//  5. mailboxes.db last, in one short transaction.
//
// # Durability and the shape of a repair
//
// A repair in place is written the way lib/mailbox commits: new cache
// entries are appended to cyrus.cache and fsynced, cyrus.header is
// replaced through cyrus.header.NEW, rewritten records are written over
// the old ones, appended records after them, and the index header last,
// then cyrus.index is fsynced. Readers that follow the protocol of
// lib/mailbox (or Cyrus's) see either the old header or the new one. A
// rebuild from scratch writes cyrus.cache.NEW and cyrus.index.NEW,
// fsyncs and renames them (index last), under the exclusive name lock.
// With MakeChanges false nothing on disk changes.
//
// # Archive partitions
//
// With archive_enabled and an archivepartition for the mailbox's
// partition, an archived record (internal flag ARCHIVED) has its file in
// the archive directory and its cache entry in that directory's
// cyrus.cache (lib/mailbox archive.go). Both directories are listed;
// a UID's data file comes before its archive file. A record's flag is
// made to say where its file is ("Marking file as (not) archived"; the
// data copy wins when both exist, and the archive copy is then removed);
// a file with no record found only in the archive directory gets a
// record with the ARCHIVED flag, as in Cyrus's mailbox_reconstruct.
// Without an archive directory of its own, a mailbox's ARCHIVED marks
// are cleared (Cyrus lists the one directory as the data directory).
//
// Not done: conversations, index versions other than 16 and 17, and the
// Murder.
package reconstruct
