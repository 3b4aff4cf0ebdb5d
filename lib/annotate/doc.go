// Package annotate is the storage side of IMAP METADATA (RFC 5464) and
// the older ANNOTATEMORE for mailboxes and the server, in Cyrus 3.6.1's
// global annotations.db (annotation_db, default twoskip; path
// annotation_db_path or <configdirectory>/annotations.db), spec/formats.md
// §11.5. Per-message annotations live in each mailbox's cyrus.annotations
// and belong to lib/mailbox; both use the record layout of
// lib/annotate/codec.
//
// A mailbox annotation is keyed by the mailbox's uniqueid, the entry name
// ("/comment", "/specialuse", "/vendor/...") and the userid: "" for the
// shared value, the userid for a private one, and the token "[.OwNeR.]"
// when that user owns the mailbox (so the owner's private annotations
// follow a user rename). Server annotations have an empty uniqueid.
// Writing an empty value deletes the record (mailbox and server scope).
//
// Annotation sizes count against the mailbox's quota root as
// X-ANNOTATION-STORAGE through the mailbox's cyrus.index: SetMailbox takes
// the mailbox's open transaction, checks the quota, records the size
// change in it (lib/mailbox AddMailboxAnnotUsed) and writes the record.
//
// Lock order: mailboxes.db, the mailbox's cyrus.index (the caller's
// transaction), then annotations.db (held only for the write).
package annotate
