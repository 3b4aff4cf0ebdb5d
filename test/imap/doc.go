// Package imap is the differential IMAP transcript suite: scripts (small
// conversations, scripts/*/*.imap) recorded once from the real Cyrus
// 3.6.1 into golden transcripts, and played against Gyrus's imapd to show
// step by step where it answers differently. README.md describes the
// script and golden formats, how to record, and the normalizations.
//
// Pieces:
//
//   - ParseScript/LoadScripts read scripts; scripts with the same
//     imapd.conf options share one server instance (GroupKey).
//   - Runner.Run plays one script against a Target and returns its
//     Transcript; ReadResponse reads server responses with literals;
//     Deliver is the LMTP client of lmtp steps.
//   - Normalizer replaces values that must differ (UIDVALIDITY,
//     MAILBOXID, dates of the run...) by tokens; Diff compares a
//     transcript with a golden one.
//   - StartCyrus and StartGyrus start the servers (cyrus-ref and
//     gyrus/test/harness) with the admin cyrus/cyrus-admin-pw.
//
// Invariants:
//
//   - A run is sequential: one step at a time, in file order; a step ends
//     on the tagged answer of its command, a "+" continuation, a given
//     number of responses, or the end of the connection. Untagged data
//     that arrives between steps is recorded in the session's next step.
//   - A Normalizer belongs to one run (its token numbering is the run's);
//     Runner.Run may be called from several goroutines at once (the
//     message cache is locked), one script per goroutine.
//   - Nothing a script does may be visible to another script on the same
//     instance: unique user names per instance (LoadScripts refuses
//     duplicates), and "isolated" for global state (TestScripts refuses
//     rights for anyone/anonymous/groups on a shared instance).
//   - A failure of the run itself is a "!!" line in the transcript and
//     ends the run; in record mode nothing is written then.
package imap
