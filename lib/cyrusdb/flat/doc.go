// Package flat is Cyrus's "flat" cyrusdb backend (formats.md §10.3): a
// text file of `key TAB value LF` lines sorted in mailbox order of their
// escaped keys, escaped so that NUL, TAB, CR, LF become FF (0x80|byte)
// and FF becomes FF FF. Cyrus uses it for subscriptions and user_deny.db.
//
// Invariants and locks:
//   - A transaction reads the whole file under a whole-file OFD lock
//     (shared for BeginRead, exclusive for Begin) taken with an inode
//     re-check, and keeps the lock to its end. Reads binary-search the
//     file image; writes collect in memory.
//   - Commit of a transaction that wrote writes <file>.NEW, fsyncs it,
//     renames it over the file and fsyncs the directory, then lets go of
//     the old inode. Readers that were waiting on the old inode follow the
//     rename when they get their lock. A crash leaves either the old or
//     the new file whole (and maybe a stale .NEW, overwritten next time).
//   - Foreach inside a transaction that wrote iterates a merged snapshot
//     taken when it starts; keys deleted or changed by the callback later
//     in the order are seen as deleted or changed, keys it inserts are not
//     visited.
package flat
