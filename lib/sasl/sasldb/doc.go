// Package sasldb reads the sasldb2 file of Cyrus SASL: a Berkeley DB
// (libdb 4.x/5.x) HASH database whose keys are "user\0realm\0property"
// and whose values are the property's bytes. Debian's saslpasswd2
// (Cyrus SASL 2.1.28) stores the property "userPassword" with the
// password in clear; older releases stored "cmusaslsecretPLAIN"
// (16-byte salt, NUL, MD5(salt "sasldb" password)); the SCRAM plugin may
// store "authPassword" (RFC 3112 syntax).
//
// Gyrus only READS this file so that users keep their passwords when
// Gyrus replaces Cyrus on a host; it never writes it (new and changed
// credentials go to the hashed store of package gyrus/lib/sasl/store).
//
// Invariants:
//   - The reader is a pure function of the file bytes: it takes no lock
//     (libsasl writers take none that we could share either; a reader
//     racing a writer sees an old or new page, and a torn result is
//     reported as an error, never as a wrong answer for a valid key).
//   - Corrupt or hostile input never panics and never loops: every page
//     number is checked against the file size and every page is visited
//     at most once per walk; sizes are bounded by MaxFileSize.
//
// Format notes (Berkeley DB on-disk hash layout, versions 8 to 10):
// page 0 is the hash meta page (generic 72-byte DBMETA, then max_bucket,
// masks, fill factor, element count, charkey and the 32 "spares" that map
// buckets to pages); bucket b lives on page b + spares[ceil(log2(b+1))]
// and continues over the next_pgno chain. Hash pages carry a 26-byte
// header (more when checksummed or encrypted), an array of 16-bit item
// offsets, and items that alternate key, data. An item is either stored
// on the page (type 1) or on an overflow chain (type 3). Byte order is
// the writer's and is detected from the meta page magic.
package sasldb
