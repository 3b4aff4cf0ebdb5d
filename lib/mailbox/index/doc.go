// Package index holds the pure byte layouts of a Cyrus 3.6.1 mailbox
// directory: the cyrus.header text file, the cyrus.index header and
// records (minor version 17, read also 16), the cyrus.cache entry framing
// (cache version 11) and the replication "sync CRCs". Facts are in
// spec/formats.md §5, §6, §7 and §6.5; the dumps of
// formats-test-vectors.md §3–§6 are reproduced byte for byte by the tests.
//
// The package does no I/O and holds no state: every function turns bytes
// into values or values into bytes. Package gyrus/lib/mailbox does the
// files, locks and transactions on top of it.
//
// Invariants and promises:
//   - Every parser checks lengths before it indexes, never panics on any
//     input, and reports damage as a *CorruptError (matching ErrCorrupt)
//     that names the file, the byte offset and, for records, the record
//     number. Checksums (index header CRC, record CRC, cache entry CRC)
//     are always verified by the parsers that have them; a mismatch is an
//     error, never a silently used value.
//   - Marshal functions always recompute the CRCs they cover and write the
//     spare bytes as zero, so a marshalled header or record always parses.
//   - Records keep Cyrus's split of the flag word: system flags in the low
//     16 bits, internal flags in the high 16 bits; the 48-bit cache offset
//     is split over the cache_offset and cache_version fields exactly as
//     Cyrus does.
package index
