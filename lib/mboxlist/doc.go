// Package mboxlist is the mailbox list of Cyrus 3.6.1, mailboxes.db
// (imap/mboxlist.c; spec/formats.md §8): which mailboxes exist, their
// type, partition, uniqueid, ACL, UIDVALIDITY and modseqs, and the
// operations that create, delete and rename them together with their files
// (through lib/mailbox).
//
// # Records
//
// Two records per mailbox, written together in every transaction:
//
//	N<dbname>   %(T <type> I <uniqueid> P <part> [S <server>] V <uidvalidity> C <createdmodseq> F <foldermodseq> M <mtime> A %(<id> <rights> ...))
//	I<uniqueid> %(T <type> N <dbname> P ... M <mtime> A %(...) H (<former names, newest first>))
//
// dbname is the 3.6 name form (0x1F between components, 0x1D after a
// domain). Optional fields are left out when zero or empty, exactly as
// Cyrus does (Codec reproduces the bytes Cyrus writes). Types: 'e' mail,
// then flags 'd' tombstone (what a deleted or renamed-away name leaves),
// 'i' intermediate (a deleted parent whose children remain), 'z' reserved
// (a create in progress), 'l' legacy by-name directories, 'r' remote.
// Values of older versions (the "mbtype partition acl" text form, and
// dlists without N/I keys) are read too. Uniqueids are made as the Debian
// build of Cyrus 3.6.1 makes them: 24 characters of [0-9a-z].
//
// # Locks and their order
//
//  1. the owner's namespace lock "*U*<userid>" (LockUser, LockNamespace;
//     shared names use "*U*"): exclusive for create, delete, rename and
//     ACL changes. Renames between two users take both, in name order.
//  2. the mailbox's name lock and cyrus.index lock, taken by lib/mailbox
//     when files are created, opened or rewritten (the callers hand
//     lib/mailbox a Location without the namespace lock, which is held
//     here already);
//  3. mailboxes.db itself: every change is one cyrusdb transaction, held
//     only while the records are written; lookups use read transactions.
//  4. quota, seen, annotations (other packages) after that.
//
// The lock files are the ones Cyrus 3.6.1 uses (formats.md §3.4) and the
// locks are OFD locks that conflict with Cyrus's fcntl locks, so Cyrus and
// Gyrus tools exclude each other.
//
// # Atomicity and recovery
//
// Other processes see each create, delete and rename whole: a
// RenameTree of a user with a thousand folders is a single mailboxes.db
// transaction (tested in test/mboxlist with concurrent reader processes).
// Files change around that transaction in an order that never loses a
// mailbox: create reserves the name ('z'), makes the files, then
// activates the entry; rename copies what must move (legacy directories,
// partition changes) before the commit, and renames cyrus.header and
// removes old copies after it; by-uuid mailboxes never move. The recovery
// rule, applied by Verify (ctl_mboxlist -v) after a crash: the committed
// database decides; reservations are completed when their files exist and
// dropped otherwise; stale header names are rewritten; a directory is
// removed only when it is a copy of a mailbox that is active elsewhere;
// nothing else is deleted.
//
// Deviation from Cyrus 3.6.1, on purpose: Cyrus renames the mailboxes of a
// tree one transaction at a time (a crash leaves half a user renamed);
// Gyrus commits the whole tree at once. Cyrus writes no 'z' reservation
// for local creates; Gyrus does, so that a crash between the files and the
// record leaves a trace -v can act on.
//
// A List is safe for concurrent use by several goroutines; each operation
// takes the locks it needs. Foreach and Tree call their callback with no
// lock held.
package mboxlist
