// Package maint tests the maintenance tools (reconstruct, quota,
// cyr_expire, ipurge, unexpunge, chk_cyrus, mbexamine, cyr_df) against
// the real Cyrus 3.6.1 on the same spool: a catalogue of damage done to
// real mailboxes and repaired by both reconstructs (the repairs served by
// Gyrus's and Cyrus's imapd), the output and exit status of every tool
// compared with Cyrus's for the same state, the tools waiting for the
// locks Cyrus's services take and running beside them.
//
// The tests need root and the oracle script (../shared/oracle/cyrus-ref);
// without them they skip. Tests run two at a time, each on its own copy
// of the filled instance.
//
// Knobs:
//   - GYRUS_BIN: take the tools from there (make test builds them) instead
//     of building them;
//   - GYRUS_MAINT_FULL=1: every case (all 44 kinds of damage, chk_cyrus
//     -M on every damage, mbexamine options on every damaged spool); the
//     default runs a subset that keeps each property;
//   - GYRUS_KEEP_ORACLE=1 keeps the instance; MAINT_TIMING=1 logs the
//     time of every tool run.
package maint
