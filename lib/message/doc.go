// Package message parses a message once, at delivery or APPEND, and
// produces everything Cyrus IMAP 3.6.1 derives from it: the 10 items of
// its cyrus.cache entry, byte for byte, and the index record fields.
//
// # What it produces
//
// Parse(r io.ReaderAt, size, opts) returns a *Message with
//
//   - Items[ItemEnvelope .. ItemSubject]: ENVELOPE, BODYSTRUCTURE, BODY,
//     SECTION (binary part map), HEADERS (the cached header selection),
//     FROM, TO, CC, BCC (search forms) and SUBJECT, exactly as Cyrus's
//     message_write_cache() writes them (spec/formats.md §7);
//   - CacheEntry(): the whole entry (4-byte big-endian lengths, items,
//     zero padding to 4) to append verbatim to cyrus.cache, and
//     CacheCRC() for the record's cache_crc (cache_version is
//     CacheVersion);
//   - SentDate, GMTime, Size, HeaderSize, GUID (SHA-1 of the file); use
//     IndexDates(internaldate) for the values Cyrus stores, which fall back
//     to the internaldate when the Date: header gives none.
//
// Reading back, without parsing the message again:
//
//   - SplitCacheEntry(entry) cuts an entry into its items;
//   - DecodeSectionMap(bodystructure, section, size) builds the part tree
//     and Resolve("1.2" | "1.MIME" | "HEADER" | "2.TEXT" | "" ...) gives
//     (offset, length, encoding) the way Cyrus's index_fetchsection()
//     does; ReadSection reads those bytes (space padding included) and
//     DecodeBody undoes the transfer encoding for BINARY[...];
//   - DecodedSubject, ParseSearchAddrs and ParseEnvelope give the decoded
//     subject, the search-form addresses and the envelope for SEARCH and
//     SORT.
//
// Options come from imapd.conf:
//
//	opts := message.Options{
//		MaxHeaderLines: cfg.Maxheaderlines(),
//		BoundaryLimit:  cfg.BoundaryLimit(),
//		RFC2046Strict:  cfg.Rfc2046Strict(),
//		RFC2047UTF8:    cfg.Rfc2047Utf8(),
//	}
//
// # Invariants
//
//   - Cyrus's behaviour is the specification: imap/message.c,
//     lib/parseaddr.c, lib/charset.c and lib/times.c of 3.6.1 were ported
//     rule by rule, quirks included (the header block is a C string that
//     ends at a NUL, boundaries match as prefixes unless rfc2046_strict,
//     RFC 2231 continuations up to *99, the Mail.app "=?" Content-Type,
//     8-bit bytes in Date: read as signed chars...). Broken MIME is parsed
//     the way Cyrus parses it; nothing here panics on any input
//     (FuzzParse).
//   - The file is read once, front to back: the whole-file SHA-1, the
//     decoded SHA-1 of every leaf part and the raw SHA-1 of every
//     message/rfc822 part are computed as the bytes stream by. Only header
//     blocks are held in memory (Cyrus holds them too), and a read window
//     of 64 KiB; a boundary line is read a second time only when it turns
//     out to belong to an enclosing message/rfc822 part.
//   - Charsets are resolved as Cyrus does: its own alias table, its own
//     us-ascii and UTF-8 decoders, then ICU's converter names (the alias
//     list of the ICU 72 that Debian's Cyrus 3.6.1 uses, internal/icudata).
//     Single-byte ICU converters and the two-byte ones mail uses
//     (Shift_JIS, GBK/gb2312, EUC-CN, Big5, Big5-HKSCS, EUC-KR,
//     ks_c_5601-1987) decode exactly as ICU does, errors included. Valid
//     text in EUC-JP, ISO-2022-JP, GB18030, UTF-16/32, UTF-7 and HZ decodes
//     the same; for invalid byte sequences in those (x/text decoders) the
//     number of U+FFFD may differ from ICU's. Other ICU converters (EBCDIC
//     multi-byte, ISO-2022-KR/CN, ...) are decoded as us-ascii.
//   - message/rfc822 parts nested deeper than 1000 levels (and any part
//     nested deeper than 20000 levels, possible only with boundary_limit
//     0) are parsed as opaque content. Cyrus goes on, hashing every
//     enclosing message/rfc822 part again (work that grows with depth
//     times size), until its stack overflows near 65000 levels.
//   - No locks, no shared state: a Message is built by one goroutine and
//     read-only afterwards. Options carry the imapd.conf settings that
//     matter (maxheaderlines, boundary_limit, rfc2046_strict,
//     rfc2047_utf8); sentdate uses the process's local time zone as Cyrus's
//     mktime() does.
//
// Why not go-message: its parser is a correct MIME parser, which is not
// what is needed here; every deviation from Cyrus's would show in the
// cache. Charset tables come from golang.org/x/text and ICU facts.
//
// Compatibility is measured in test/corpus: golden answers recorded from
// a live Cyrus 3.6.1 (collect.py), a live re-check, and a differential
// test against Cyrus's own parser library (cyrusdump).
package message
