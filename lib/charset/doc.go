// Package charset is the text side of Cyrus 3.6.1's search (lib/charset.c):
// charset decoding, RFC 2047 header decoding, transfer decodings, and the
// "search form" that both a search string and the searched text are put
// in before a plain substring test.
//
// # The search form
//
// Each code point is replaced by its entry in Cyrus's translation table
// (foldtable.go, observed from Cyrus's own libcyrus by gen.go): title case,
// then compatibility and canonical decompositions applied until nothing
// changes, space separators (and TAB, LF, VT, FF, CR) as U+0020. With
// SkipDiacrit (search_skipdiacrit, default on) a single mapped code point
// in U+0300..U+036F is dropped, and in a decomposed sequence everything in
// U+0300..U+03FF (Greek letters too: Cyrus's own quirk). With MergeSpace
// (search_whitespace: merge, the default) a run of spaces becomes one, with
// SkipSpace all go. Code points outside the blocks of the table are passed
// as they are. Examples: "é" → "E", "ß" → "ss" (lower case: the table has no
// title case for it), "ﬁ" → "fi", "ἀ" → "" with SkipDiacrit.
//
// # Pipelines (Cyrus function in brackets)
//
//   - CompilePattern: a client's search string, decoded from its CHARSET
//     with only the white space rules, then in search form
//     (charset_convert twice, as imapd and search_expr do).
//   - SearchString: UTF-8 text such as a cached FROM or SUBJECT item
//     (charset_searchstring).
//   - SearchHeader: a raw header block, unfolded, RFC 2047 decoded
//     (charset_search_mimeheader); DecodeHeader gives the decoded text
//     without the search form (charset_parse_mimeheader).
//   - SearchBody: a body part streamed from a reader, its transfer
//     encoding and charset undone (charset_searchfile). Like Cyrus, a body
//     in a charset that ICU converts (all but us-ascii and utf-8, even
//     iso-8859-1) is searched in whole blocks of 4096 decoded bytes only,
//     and a last quoted-printable line without a newline is not searched.
//
// Charset names are resolved by lib/message (Cyrus's alias table, then
// ICU's names), whose decoders this package uses for everything but
// us-ascii and utf-8. Valid text decodes as in Cyrus in every charset;
// invalid byte sequences in EUC-JP, ISO-2022-JP, UTF-16/32 and UTF-7 may
// give a different number of U+FFFD (lib/message's note). A multi-byte
// character cut by a 4096-byte block boundary of an ICU body is decoded as
// invalid here, where ICU would carry it over.
//
// Compatibility is tested against Cyrus's own library (cyrus_test.go,
// through test/search/cyruscharset): search forms, charsets, header
// decoding, header and body matching on random inputs.
//
// # Invariants
//
// No shared mutable state: the tables are built once at init; every
// pipeline is built per call. Bodies are never held whole: SearchBody
// reads 32 KiB at a time and keeps at most the pattern's length of
// search-form text between reads.
package charset
