// Package cyrusdb is Cyrus's key-value database interface (lib/cyrusdb.h
// in Cyrus 3.6) in Go, with a registry of backends that read and write
// the same files as Cyrus 3.6.1: twoskip, flat, quotalegacy, skiplist
// (read, for conversion) and badger (a Gyrus-only store for data owned by
// one process).
//
//	db, err := cyrusdb.Open("/var/lib/cyrus/mailboxes.db", "twoskip", cyrusdb.Create)
//	tx, err := db.Begin()            // exclusive file lock from here...
//	v, err := tx.Fetch([]byte("k"))  // sees tx's own earlier writes
//	err = tx.Store([]byte("k"), v)
//	err = tx.Commit()                // ...to here (or Abort)
//
// Backends register themselves from their package init; a program imports
// the ones it uses, or gyrus/lib/cyrusdb/backends for all of them.
//
// # Keys, values, order
//
// Keys and values are arbitrary bytes (flat escapes NUL, TAB, CR, LF and
// 0xFF on disk; quotalegacy keys must be quota root names). Keys are never
// empty. Iteration order is raw byte order, or Cyrus's mailbox order
// ('.' sorts before every other printable byte) with MboxSort; flat always
// uses mailbox order on its escaped keys, as Cyrus does.
//
// # Locking rules
//
// Locks are OFD file locks (gyrus/lib/lockfile): they exclude other
// processes, real Cyrus processes (whose classic fcntl locks conflict with
// them) and other handles in this process alike.
//
//   - A transaction holds its lock from Begin/BeginRead to Commit/Abort:
//     twoskip and flat lock the whole database file (exclusive for Begin,
//     shared for BeginRead); quotalegacy locks each quota root file the
//     first time the transaction touches it and keeps it to the end;
//     badger relies on its own directory lock and in-process transactions.
//     Keep transactions short: every other reader and writer of the file
//     waits meanwhile.
//   - After taking a file lock a backend re-checks that the path still
//     names the file it locked (files are replaced by rename on repack and
//     on flat/quotalegacy commits) and follows the new file if not, then
//     re-reads the header and runs crash recovery if the last writer died
//     mid-transaction.
//   - The convenience methods of DB (Fetch, Store, Create, Delete,
//     Foreach...) each run in their own short transaction. DB.Foreach reads
//     in batches and calls its callback with no lock held, so the callback
//     may change the database through the same DB (Cyrus's foreach works
//     the same way); Tx.Foreach calls it inside the transaction, and there
//     the callback must use that Tx.
//   - A DB is safe for concurrent use: its transactions are serialised by
//     a mutex (Begin waits while another goroutine's transaction on the same
//     DB is open). A goroutine that has a Tx open must not call DB methods
//     of the same DB (that waits for itself); it uses the Tx. A Tx is used
//     by one goroutine at a time. Goroutines that want to run transactions
//     in parallel open their own DB: the file lock then orders them exactly
//     as it orders processes.
//   - Byte slices handed to a Foreach callback are valid only during that
//     call. Slices returned by Fetch belong to the caller.
//   - Lock order between databases is the caller's business (DESIGN.md §4:
//     mailboxes.db, then cyrus.index, then quota, then seen/annotations).
//
// # Errors
//
// ErrNotFound for a missing key, ErrExists for Create on an existing key,
// ErrReadOnly for writes in a BeginRead transaction, ErrLocked when a
// single-owner store is in use elsewhere, and *CorruptError (matching
// ErrCorrupt) naming the file and byte offset of damage.
package cyrusdb
