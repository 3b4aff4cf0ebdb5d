// Package deliver is the delivery core of lmtpd: "deliver this message
// to these recipients", as Cyrus 3.6.1's lmtpd.c does it, with the
// deliveries of every session of a process committed together.
//
//	d, _ := deliver.New(opts)                       // once per process (FromConfig)
//	r, err := d.Verify("alice+Work", false, 0, auth) // RCPT TO
//	errs := d.Deliver(ctx, msg, []*deliver.Recipient{r, ...})
//
// # Where a message goes: the Router (the Sieve plug point)
//
// For each recipient, Deliver first looks up the recipient's own mailbox
// (the user's INBOX or the shared folder), then asks the Router for a
// Plan: a list of Deliveries, each a list of Targets tried in order
// (mailbox, flags, who must hold 'p' there, IGNOREQUOTA, fuzzy
// matching). Without a Router, LocalPlan is used: Cyrus's delivery
// without Sieve (user+detail into the folder if the poster may post
// there, else the INBOX; +folder into a shared folder). A Sieve engine
// is a Router: it runs the recipient's script and returns its fileinto
// targets and flags, with LocalPlan for the implicit keep. Routers run
// in the session goroutine and never write.
//
// The single decision point is Deliverer.route (plan.go): every
// recipient of every message, from lmtpd and from deliver(8) alike,
// gets its target folders and flags there and nowhere else, so the
// Sieve engine plugs in by setting Options.Router. The committer (the
// try method in commit.go) only applies a Plan: it checks each Target
// (exists, 'p' right, quota, duplicate) and falls back to the next.
//
// # The group commit
//
// Deliver hands the deliveries to the process's committer and waits.
// The committer has no goroutine of its own (group.go): a waiting
// session that finds a free slot runs the batch of every delivery
// waiting, the others are woken once, done or to lead the next batch.
// A batch locks the
// owners' namespace locks in name order, and for each group of owners
// (in parallel) resolves the targets (Cyrus deliver_mailbox: the
// mailbox exists and takes mail, the special use is not excluded, the
// poster has 'p', the quota root is not over, the message is not a
// duplicate) and appends the messages of the batch to each mailbox in
// one lib/mailbox transaction. Then the deliver.db records of the batch
// are written, in one transaction shared with the other batches marking
// at the same time, committed without a sync of its own
// (duplicate.MarkAllDeferred); then the message files, their
// directories, the cache entries of every mailbox of the batch and
// deliver.db are synced at once (mailbox.FlushWith: one syncfs shared
// with every batch syncing at that moment). Then each mailbox's index is
// written and fsynced (several batches are in flight at once: while one waits for
// the disk, the next appends). The duplicate checks read deliver.db
// through a handle of their own (duplicate.OpenConcurrent), in one read
// transaction for all the batches checking at once. Only after the
// mailbox commit are the locks released and the sessions told: a nil
// result means on disk.
// Message files are staged once per partition (lib/mailbox.Stage) and
// hard-linked into every mailbox (singleinstancestore); lmtpd hands the
// bytes of a message of up to 1 MiB along (Message.Data), parsed from
// memory instead of from the staged file.
//
// The mailboxes a batch appended to stay open afterwards, idle
// (mbcache.go, lib/mailbox Mailbox.Idle): an idle handle holds no lock,
// so other processes delete, rename and repack as if it were closed; the
// next batch's Begin takes the locks again and re-reads what changed. A
// handle is reused only for the same Location and closed after two
// idle minutes or beyond 256 handles.
//
// # Invariants
//
//   - A nil result is only returned after the mailbox transaction that
//     holds the message has committed (DESIGN.md §4); a failed commit
//     fails every delivery of that transaction.
//   - Lock order: owners' namespace locks (sorted), then lib/mailbox's
//     name and index locks, then quota (inside the mailbox commit), then
//     deliver.db. mailboxes.db is only read, in short transactions.
//   - deliver.db is read under the owners' locks (one read transaction
//     per group of owners), as Cyrus reads it under the mailbox lock:
//     whatever another process marked is seen, so suppression is exact
//     across processes. It is marked before the mailbox commit, with
//     the UIDs the messages get, and a mark found is checked against
//     the mailbox (dupmark.go): a crash between the two commits neither
//     lets the MTA's retry in twice (Cyrus's window, which marks after)
//     nor loses the message.
//   - Answers read from mailboxes.db and annotations.db are kept only
//     while the file is unchanged (inode, size, mtime, ctime: every
//     commit changes them), checked by a stat(2) at each use
//     (dbcache.go).
//   - Quota is checked Cyrus's way: the root must not be over before the
//     message (its own size counts only with lmtp_strict_quota), against
//     the usage on disk plus what the batch appended to the root before.
//
// Package lmtp (lib/deliver/lmtp) is the protocol: the LMTP server
// engine of lmtpd and the client of deliver(8).
package deliver
