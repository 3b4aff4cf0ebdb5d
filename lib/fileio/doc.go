// Package fileio opens regular files (databases, mailbox files, lock
// files) without the cost os.OpenFile has on Linux.
//
// os.OpenFile tries to register every descriptor with the runtime's
// network poller: it sets O_NONBLOCK (fcntl F_GETFL + F_SETFL), asks
// epoll to watch it (which fails with EPERM for a regular file or a
// directory) and clears O_NONBLOCK again (F_GETFL + F_SETFL): five
// system calls wasted per open. lmtpd opens some eighteen files per
// delivered message, so these were most of its fcntl calls. Open here
// calls open(2) and wraps the descriptor with os.NewFile, which only
// reads the flags once and never involves the poller.
//
// It also holds the process's shared syncs, the group commit of its
// durability: SyncFS (syncfs(2) and a device flush, for many new files
// at once) and SyncOverwrite (pages rewritten in place, then a device
// flush shared by concurrent callers).
//
// # Invariants
//
//   - Only for regular files, directories and lock files: a descriptor
//     opened here is never in non-blocking mode and never polled, so
//     reads and writes block the calling thread as they do for any disk
//     file under os.OpenFile.
//   - O_CLOEXEC is always set; errors are *os.PathError wrapping the
//     errno, so errors.Is(err, fs.ErrNotExist) and friends work as with
//     os.OpenFile.
//   - lockfile.OpenLocked opens through Open, so every locked open of a
//     database or mailbox file gets the saving too.
package fileio
