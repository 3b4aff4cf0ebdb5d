// Package sieve is the Sieve mail filtering language (RFC 5228 and the
// extensions Cyrus 3.6.1 offers): the checker that timsieved and sievec
// run on every script they are given, and the compiler to Cyrus 3.6.1's
// bytecode, the <name>.bc files lmtpd executes.
//
// # What it promises
//
// Compile(script, options) returns exactly the bytes Cyrus 3.6.1's
// sievec writes for the same script under the same imapd.conf
// (sieve_extensions, rfc3028_strict, sieve_vacation_min_response and
// sieve_vacation_max_response), or an *Error whose problems are on the
// lines Cyrus reports, in Cyrus's words. test/sieve checks both against
// the real Cyrus on a corpus of scripts. Compile reads the script as
// sievec reads a file; Cyrus's timsieved compiles an uploaded script as
// a C string, which ends at its first NUL: to answer as timsieved does,
// cut the script there before calling Compile.
//
// Implemented: every command, test and tag of Cyrus 3.6.1's grammar,
// that is every extension it offers: fileinto, reject/ereject,
// vacation, vacation-seconds, envelope, body, relational, regex,
// subaddress, copy, date, index, imap4flags and the old imapflags
// mark/unmark, variables, include, mailbox, mboxmetadata,
// servermetadata, environment, encoded-character,
// comparator-i;ascii-numeric, editheader, duplicate, ihave, enotify and
// the legacy notify/denotify, fcc, special-use, mailboxid,
// redirect-dsn, redirect-deliverby, extlists, vnd.cyrus.log,
// vnd.cyrus.snooze, vnd.cyrus.imip and vnd.cyrus.jmapquery (its JMAP
// filter checked as Cyrus's JMAP code does and stored in jansson's
// compact form, jmap.go). As in Cyrus, extlists can be required only
// with httpmodules naming carddav (though the capability names it
// whenever it is enabled), and redirect :list is refused (Cyrus's
// sievec and timsieved call a stub list validator there that kills
// the process).
//
// Known differences from Cyrus:
//   - Syntax errors are worded as Cyrus's bison words them ("syntax
//     error") and the parser recovers from them where bison does (a
//     command is dropped up to its ';', the test of an if or a test
//     list up to the error becomes false; errors within three tokens
//     of a recovery are not reported), so a script with several errors
//     gets the same list. Where the error does not count (inside the
//     block of an ihave test naming an unknown extension, RFC 5463 4)
//     the recovered script compiles, the dropped command becoming an
//     error action ("unsupported extension: line N"), as in Cyrus.
//     Bison's default reductions make a few odd cases (an error right
//     after "not", or after a ',' in a test list) recover differently.
//   - Regular expressions (:regex) are checked with Go's RE2 parser;
//     Cyrus uses PCRE. What only PCRE knows (lookarounds, possessive
//     quantifiers, PCRE escapes, big repetition counts) is let through,
//     a few PCRE errors are not seen (duplicate group names), and the
//     message of a bad expression is PCRE's (regex.go) for the common
//     mistakes (unbalanced parentheses or brackets, a quantifier with
//     nothing to repeat, bad ranges, counts and classes), Go's for the
//     others.
//   - Cyrus has no limits; here a script is at most MaxScriptSize
//     bytes, blocks and tests nest at most MaxDepth deep and a list has
//     at most MaxListLen items.
//
// # How it works
//
// lex.go is Cyrus's flex scanner: keywords are matched longest-first
// where they start (there are no identifiers: "ifx" is "if" then 'x'),
// and the scanner's line counter is the line of every error. parse.go,
// tests.go and actions.go are a recursive-descent version of its bison
// grammar (sieve.y) with the same checks in the same order; since bison
// reports an action's errors with the line of the token it has read by
// then, the parser peeks at the next token exactly where bison must
// (after "keep" tags, after a hasflag list, ...) and nowhere else.
// emit.go writes the bytecode.
//
// # The bytecode (version 0x1F)
//
// All integers are 32-bit big-endian. A file is
//
//	"CyrSBytecode"  version=0x1F  requires  commands
//
// where requires is 1 when the script requires "variables" (else 0).
// A command is its opcode followed by its arguments; a block (the
// script, a then or an else part) is its commands one after the other,
// or the single opcode NULL (15) when it is empty. Arguments are
//
//	int      one integer
//	string   its length, its bytes, then 1 to 4 zero bytes up to a
//	         multiple of 4; a missing string is the length -1 alone
//	list     the count, the file offset (bytes) just past the list,
//	         then the items (strings, integers or tests)
//	test     its opcode followed by its arguments
//
// IF (6) is: the offset of the end of its test, in 4-byte words; the
// test; JUMP (16) with the word offset just past the then part (and
// past the JUMP below when there is an else part); the then part; then,
// when there is a non-empty else part, JUMP with the word offset of its
// end, and the else part. elsif is an else part holding one IF.
//
// Commands and their arguments, in order (opcode in parentheses; C is
// the comparator: match type, relation, collation):
//
//	stop (0), discard (2), return (18)
//	reject (3), ereject (31), error (34), log (41): string
//	keep (35): flags list
//	fileinto (40): mailboxid, specialuse, create, flags, copy, mailbox
//	redirect (39): bytime, bymode, bytrace, dsn notify, dsn ret, list, copy, address
//	vacation (45): addresses, subject, message, seconds, mime, from, handle,
//	  fcc mailbox, and when there is one: create, flags, specialuse, mailboxid
//	set (25): modifier bits, name, value
//	setflag (27), addflag (26), removeflag (28): variable ("" if none), flags
//	  (mark and unmark are addflag and removeflag of \flagged)
//	addheader (29): index (1, or -1 with :last), name, value
//	deleteheader (30): index, C, name, values
//	include (17): location | once 0x40 | optional 0x80, name
//	notify (12, legacy) / notify (33, RFC 5435): method, id / from,
//	  options, importance, message
//	denotify (13): priority, match type, relation, pattern
//	snooze (44): mailbox, mailboxid, specialuse, create, addflags,
//	  removeflags, weekday bits, tzid, times (list of ints, seconds, sorted)
//	processimip (46): flag bits, calendarid, outcome, errstr
//
// Tests:
//
//	false (0), true (1), not (2): test
//	exists (3): headers;  size (4): over/under, number
//	anyof (5), allof (6): list of tests (a list of one is that test)
//	envelope (8): C, address part, parts, keys
//	body (10): C, transform, offset 0, content types, keys
//	address (13): index, C, address part, headers, keys
//	header (14): index, C, headers, keys
//	hasflag (15): C, variables, flags;  string (21): C, sources, keys
//	mailboxexists (16), servermetadataexists (20), mailboxidexists (29): list
//	metadata (17): C, mailbox, annotation, keys;  metadataexists (18): mailbox, list
//	servermetadata (19): C, annotation, keys;  environment (26): C, name, keys
//	duplicate (23): id type, id, handle, seconds, last
//	ihave (24): list;  valid_ext_list (22): list
//	specialuse_exists (25): mailbox (or none), uses
//	valid_notify_method (27): list;  jmapquery (30): the filter, compact JSON
//	notify_method_capability (28): C, uri, capability, keys
//	date (31): index, zone tag [, zone when the tag is :zone], C, date part, header, keys
//	currentdate (32): zone tag [, zone], C, date part, keys
//
// The numbers of tags (match types, comparators, address parts, ...)
// are the constants b* in emit.go, Cyrus's enum bytecode_tags.
//
// Invariants: the package has no global state and never panics out of
// Compile; the parser's panics (syntax errors, limits) are recovered
// there.
package sieve
