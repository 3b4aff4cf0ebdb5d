// Package maint tests the maintenance tools (reconstruct, quota,
// cyr_expire, ipurge, unexpunge, chk_cyrus, mbexamine, cyr_df) against
// the real Cyrus 3.6.1 on the same spool: a catalogue of damage done to
// real mailboxes and repaired by both reconstructs, and the output of
// every tool compared line by line with Cyrus's for the same state.
//
// The tests need root and the oracle script (../shared/oracle/cyrus-ref);
// without them they skip. GYRUS_KEEP_ORACLE=1 keeps the instance.
package maint
