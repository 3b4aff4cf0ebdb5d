// Package lockfile takes whole-file advisory locks that hold between
// processes AND between goroutines of one process.
//
// # Why OFD locks
//
// Cyrus coordinates every process that touches a database or a mailbox
// with fcntl(2) record locks on the whole file. Gyrus must interoperate
// with those locks (a Cyrus tool and a Gyrus daemon may run side by side
// on one spool), so it uses the same lock family: Linux "open file
// description" locks (F_OFD_SETLK, F_OFD_SETLKW, F_OFD_GETLK). They
// conflict with the classic POSIX locks that Cyrus takes, in both
// directions.
//
// Classic POSIX locks would be wrong for a Go program: they belong to the
// process, so two goroutines of one process never exclude each other, and
// closing ANY descriptor of the file silently drops every lock the process
// holds on it. OFD locks belong to the open file description instead: two
// goroutines that each open(2) the file get two descriptions and exclude
// each other exactly as two processes would, and closing one descriptor
// releases only the locks taken through it.
//
// # Rules
//
//   - A lock is taken through an *os.File and belongs to that open file
//     description. Share one *os.File between goroutines only if they
//     coordinate among themselves; to exclude each other they must open the
//     file separately.
//   - Locks are whole-file (offset 0, length 0 = to end of file and beyond),
//     like Cyrus's lock_blocking/lock_shared/lock_nonblocking.
//   - Converting a held lock (shared to exclusive or back) is done by
//     locking again with the other mode; the kernel replaces it, which is
//     not atomic: another holder may get in between.
//   - Closing the file releases its lock. Unlock releases it explicitly.
//   - Locking a path that may be replaced by rename(2) (every Cyrus
//     database and index is rewritten that way) must use OpenLocked or
//     Relock, which re-check after the lock is held that the path still
//     names the locked inode, and start again on the new file if not.
//   - Lock order between files is the caller's business; see DESIGN.md §4
//     (mailboxes.db, then cyrus.index, then quota, then seen/annotations).
package lockfile
