// Package twoskip is Cyrus's twoskip database format (Cyrus 3.6.1
// lib/cyrusdb_twoskip.c; byte layout in shared/spec/formats.md §10.2),
// read and written byte for byte as Cyrus does, as a cyrusdb backend.
//
// # Format in one paragraph
//
// A 64-byte header (magic, version, generation, num_records, repack_size,
// current_size, flags with DIRTY, CRC), then records appended one after
// the other: the DUMMY (level 31, the list head), RECORDs, DELETEs and
// COMMITs. A record's head holds its pointers and a CRC of the head; its
// tail (key, value, padding) has its own CRC. Level 0 has two pointer
// slots: a transaction writes the one that does not hold the committed
// successor, so readers and recovery can ignore anything at or past
// current_size. Higher levels are overwritten in place and rebuilt by
// recovery. A clean file ends exactly at current_size and has DIRTY clear.
//
// # Invariants
//
//   - Every change to the file happens under the exclusive lock, inside
//     a transaction that first sets DIRTY in the header and (unless
//     NoSync) fsyncs it. Commit writes the COMMIT record, fsyncs, then
//     writes the header with the new current_size and DIRTY clear, and
//     fsyncs again. A writer that dies anywhere leaves a file that
//     recovery (ours or Cyrus's) brings back to the last commit.
//     (A DeferSync handle commits without syncing and leaves DIRTY set
//     between its transactions; its caller syncs: defer.go.)
//   - The file is only ever extended by writing data to it, never ahead
//     of it (ftruncate is used only to cut it back to current_size).
//   - A committed record head (below current_size) is rewritten with a
//     single pwrite of the whole head, which never crosses a 512-byte
//     block (BLANK padding sees to that): SIGKILL cannot tear it, and
//     neither can a power loss on a disk with atomic sectors.
//   - Only bytes below the file size are touched through the mapping.
//
// # I/O
//
//   - The file is mapped MAP_SHARED, read-write, at least twice its size
//     (and 1 MiB more), so a growing file is remapped only when it has
//     doubled. A replaced mapping stays mapped (and coherent: it maps the
//     same page cache) until the lock is released, because a Foreach
//     callback may hold slices of it.
//   - Records appended by a transaction collect in an append buffer that
//     stands for the offsets just past the file; it is written with one
//     pwrite at commit, or when it reaches 4 MiB. While a Foreach
//     callback runs, a written-out buffer is never reused.
//   - Heads of this transaction's records are edited in place (in the
//     buffer, or through the mapping once written out): they are past
//     current_size, so a torn edit is garbage recovery drops. Committed
//     heads are edited in a scratch copy and written with one pwrite (see
//     above).
//   - Locking costs two system calls plus the unlock: the OFD lock
//     (without the scheduler's syscall hand-off when nobody holds it),
//     and a stat of the path, which must still name the inode we have
//     open (files are replaced by rename on checkpoint and recovery2) and
//     gives the size. Cyrus does an fstat as well; we know our inode
//     from open.
//   - Heads over 64 bytes (the DUMMY, levels 6 and up), which every
//     descent reads, have their CRC checked once per lock rather than on
//     every read; everything else is checked on every read, as Cyrus does.
//   - Finding the key just after the current position (iteration, sorted
//     inserts, checkpoint) reads one record instead of descending from
//     the DUMMY (Cyrus's find_loc shortcut).
//
// # Locks
//
// One whole-file OFD lock per open file (gyrus/lib/lockfile): shared for
// reads, exclusive for writes, checkpoint and recovery. A DB handle is
// used by one goroutine at a time (cyrusdb.DB serialises them).
// Checkpoint writes <file>.NEW under the lock of the old file and renames
// it over; other holders notice the new inode at their next lock.
//
// # Logging
//
// Recovery and checkpoint lines go through gyrus/lib/log, worded as Cyrus
// words them ("twoskip: checkpointed ...", "DBERROR: ...").
package twoskip
