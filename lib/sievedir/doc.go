// Package sievedir is the store of a user's Sieve scripts in the
// sievedir layout Cyrus IMAP 3.6.1 reads, and that lmtpd uses to find
// the script to run.
//
// # Where
//
// A user's directory is Cyrus 3.6.1's user_sieve_path (Locator.UserDir):
// <sievedir>/uuid/<c0>/<c1>/<mailboxid of the user's INBOX>, or, for a
// user whose INBOX has legacy directories (mailbox_legacy_dirs),
// <sievedir>[/domain/<h>/<domain>]/<h>/<user> (<user> the local part
// under virtdomains, <h> the dir_hash_c letter). A user without an INBOX
// has no directory (ErrNoInbox). Global scripts, which admins manage, are
// in <sievedir>[/domain/<h>/<domain>]/global.
//
// # What
//
//	<name>.script   the source as the client sent it
//	<name>.bc       its bytecode (lib/sieve), what lmtpd runs
//	defaultbc       the active script: a symbolic link to <name>.bc
//
// The modification time of <name>.script is when the script was first
// stored (replacing and renaming keep it): it is the creation order in
// which Cyrus lists scripts.
//
// Cyrus 3.6.1's own timsieved keeps the sources in the user's #sieve
// mailbox and only the .bc files and defaultbc here; the <name>.script
// files are the layout of earlier versions, which 3.6.1 still reads: its
// timsieved moves them into the #sieve mailbox at the user's first login
// (sieve_ensure_folder), and its lmtpd only looks at defaultbc. So a
// directory written here is used as it is by Cyrus 3.6.1.
//
// # Invariants
//
//   - A write is durable when it returns: new contents go to a temporary
//     file in the same directory (a name starting with '.' and ending in
//     ".NEW", which no listing shows), which is fsynced and renamed over
//     the old name, and the directory is fsynced after the rename. A crash
//     leaves either the old or the new file, never a torn one.
//   - defaultbc is replaced by rename too, so lmtpd sees the old active
//     script or the new one, never none while switching.
//   - Put writes the bytecode before the source: a listed script always
//     has its bytecode.
//   - No locks: one user's scripts are changed by that user's sessions,
//     and two concurrent writers of one name leave one of the two
//     versions whole (the last rename wins), as in Cyrus.
package sievedir
