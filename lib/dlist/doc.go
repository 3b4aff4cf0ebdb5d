// Package dlist reads and writes Cyrus's "dlist" text format, the small
// S-expression-like syntax that Cyrus 3.6 uses for mailboxes.db values,
// line 4 of cyrus.header, quota values and the whole replication (csync)
// protocol. The grammar and the printing rules are in
// spec/formats.md §9; the byte strings in §8.2 and in
// formats-test-vectors.md §2 and §4 are reproduced exactly by the tests.
//
// A parsed document is a tree of *Value. A Value has a Kind (Nil, String,
// Flag, Num, Hex, GUID, File, List, KVList) and, when it sits in a kvlist,
// a Name. Lists and kvlists keep their children in order; a kvlist may hold
// the same name twice (Cyrus does not forbid it) and lookups return the
// first.
//
// Invariants and promises:
//   - Printing is deterministic and matches Cyrus 3.6.1's dlist_print byte
//     for byte: a string is printed bare when it is an atom, quoted when it
//     is short and holds no CR, LF, '"', '%', '\' or 8-bit byte, and as a
//     literal otherwise; NUL anywhere forces a literal; "" and NIL are
//     special. Numbers are unsigned decimal, Hex is 16 lowercase digits,
//     GUIDs are 40 lowercase digits, flags are printed raw.
//   - Parsing never allocates more than the configured Limits allow before
//     it has checked them: literal sizes and nesting depth are checked
//     before memory is taken, and literal bodies are read in chunks, so a
//     peer that announces a large literal and sends nothing costs nothing.
//   - The file form "%{partition guid size}" (replication APPLY MESSAGE) is
//     never buffered by this package: the bytes are handed to a FileHook as
//     a stream; without a hook the form is rejected.
//   - One parser serves every use. It follows Cyrus's stream parser
//     (dlist_parse, used by replication): any white space between items,
//     atoms end at white space, parentheses or '"'. Cyrus reads
//     mailboxes.db and cyrus.header with a stricter SAX parser; everything
//     Cyrus writes reads the same with both (checked against 4,435 real
//     mailboxes.db records in test/names), only hand-made odd input such as
//     `(a"b)` differs. Parse demands that the input hold exactly one value.
//   - The package holds no global state and takes no locks; a Decoder or
//     an Encoder belongs to one goroutine at a time.
package dlist
