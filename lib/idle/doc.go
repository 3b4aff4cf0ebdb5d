// Package idle tells the sessions of a process that a mailbox changed,
// whoever changed it (this process, another Gyrus process, a real Cyrus
// program), so that IMAP IDLE, NOOP and POP3 learn of new messages, flag
// changes and expunges within milliseconds, without polling every
// selected mailbox.
//
// # How
//
// Every change to a mailbox ends with a write to its cyrus.index (the
// header is rewritten by every commit) or with a rename of a new
// cyrus.index into place (a repack). The package watches the directory
// that holds cyrus.index with Linux inotify (IN_MODIFY, IN_MOVED_TO and
// IN_CREATE for the name "cyrus.index"; IN_DELETE_SELF and IN_MOVE_SELF
// when the mailbox directory goes away) and wakes the subscribers of
// that mailbox.
//
// One Watcher (one inotify descriptor, one reader goroutine) serves the
// whole process: a mailbox selected by a thousand sessions costs one
// kernel watch, and the event fans out to the thousand subscriptions.
// A Subscription's channel holds at most one pending wake-up: events
// that arrive while the session is busy coalesce into one, and the
// session then refreshes its view (mailbox.View.Refresh), which reads
// only what changed. The wake-up says "look again", never what changed.
//
// # Why inotify
//
//   - Cyrus 3.6's own answer is idled, a daemon that imapd processes
//     register with over a UNIX socket and that other Cyrus processes
//     notify; real Cyrus programs writing a spool shared with Gyrus would
//     not notify Gyrus's processes that way, while inotify sees every
//     writer, Cyrus included.
//   - Polling the index of every selected mailbox (Cyrus without idled
//     polls every imapidlepoll seconds) costs a stat per session per
//     tick and still answers late; inotify costs nothing while nothing
//     happens and answers at once (the cross-process test measures it).
//   - The reader of one descriptor and a map from watch to subscribers is
//     all the state; no extra daemon, no socket protocol.
//
// Limits: inotify does not see changes made on another machine of a
// network file system, and each watched directory uses one of the
// user's fs.inotify.max_user_watches. When inotify cannot be used (not
// available, or the watch limit is reached) a subscription falls back to
// polling the index file's inode, size and mtime every PollInterval, so
// callers need no second code path.
//
// # Rules
//
//   - Subscribe before reading the mailbox state the session will
//     compare against, so that no change falls between the two.
//   - Receive from C, refresh, repeat; Close the subscription when the
//     session leaves the mailbox. Closing the Watcher closes its
//     subscriptions' channels.
//   - All methods are safe for concurrent use.
package idle
