// Package search evaluates IMAP SEARCH programs over a session's view of a
// mailbox exactly as Cyrus 3.6.1 answers them without a search engine
// (imap/search_expr.c, index.c, message.c), and sorts and threads the
// matches (SORT, SORT=DISPLAY, THREAD=ORDEREDSUBJECT/REFERENCES/REFS).
//
//	res, err := search.Search(view, cmd.Program, cmd.Charset, &search.Options{Seen: ..., Recent: ...})
//	w.Search("SEARCH", res.Numbers(uid), res.HighestModSeq())  // or w.ESearch(res.ESearch(ret, uid, tag))
//	seqs, uids, _ := search.Sort(view, sortCmd.Criteria, res, opt)
//	th, _ := search.Threads(view, "REFERENCES", res, opt); search.Format(th, uid)
//
// imapwire.Options.KnownCharset should be KnownCharset (Cyrus answers an
// unknown CHARSET with BAD "Unrecognized character set" while parsing).
// ErrFuzzy means Cyrus's imapd would answer OK with no untagged response.
//
// # Semantics (Cyrus 3.6.1)
//
//   - Strings: the client's string is decoded from its CHARSET (default
//     US-ASCII), then both it and the text are put in lib/charset's search
//     form (title case, decompositions, search_skipdiacrit,
//     search_whitespace) and compared as substrings. FROM/TO/CC/BCC search
//     the cached address items, SUBJECT the cached decoded subject, HEADER
//     the decoded field (cached HEADERS item when Cyrus caches the field,
//     else the message's header block); HEADER x "" matches when the field
//     is there with a non-empty value. BODY and TEXT search every MIME
//     header block (TEXT also the message's) decoded, and every text/*
//     part's content decoded, entering message/rfc822 parts; other parts
//     are never searched; text/html is searched with its markup. An ICU
//     charset body (iso-8859-1 too) is searched in whole 4096-byte blocks
//     only (Cyrus's quirk, kept).
//   - Dates: BEFORE/ON/SINCE on the internal date, SENT* on the stored sent
//     date, SAVED* on the save date (internal date if none), each day from
//     midnight to midnight in the server's time zone (Options.Location).
//     OLDER/YOUNGER count from Options.Now.
//   - Flags: \Seen from Options.Seen, \Recent from Options.Recent, user
//     flags by name without regard to case; an unknown flag never matches.
//   - Messages expunged by others but still in the view are skipped.
//   - EMAILID is "M" + the first 12 GUID bytes in hex; THREADID is
//     "TNIL" for every message without conversations (cid 0), as in Cyrus.
//   - "$" (RFC 5182, which Cyrus 3.6 lacks) is Options.SearchRes.
//
// # Speed
//
// The program is compiled once; AND/OR evaluate index-only keys first,
// then cache keys, then header-block keys, then bodies, and stop early.
// Per message the index record is read; the cache entry, the message
// file and its section map only when a key needs them. Files up to
// 128 KiB are read whole (one open, pread, close); larger ones stream
// through lib/charset (32 KiB reads). When the first (cheapest) key of
// the program needs every message's file (BODY, TEXT, an uncached
// header), a prefetcher (prefetch.go) has 4 goroutines read the next
// files, up to 32 messages ahead, while the current one is searched.
//
// # Invariants
//
// No shared state: the caller's view holds the mailbox's locks and
// belongs to one goroutine; a Search reads through it only, from the
// calling goroutine. The prefetch workers get a path and a size per
// message and never touch the view; a read's result passes to the
// searching goroutine through its done channel, and the buffers come
// back through a channel. Search stops its workers before it returns,
// also when it panics (deferred), so no goroutine and no descriptor
// outlives it; each worker closes its file before taking the next job.
// Without prefetching, message files are opened per message and closed
// before the next.
//
// Verified against real Cyrus by test/search (241 recorded commands).
// Not done: XATTACHMENTNAME and FOLDER keys (an error), the Cyrus
// conversation keys (imapwire refuses them, as Cyrus with conversations
// off), XLISTID as Cyrus 3.6.1 evaluates it (its brute-force path reads a
// wrong pointer; we search List-Id then Mailing-List), ANNOTATION beyond
// what Options.Annotation provides.
package search
