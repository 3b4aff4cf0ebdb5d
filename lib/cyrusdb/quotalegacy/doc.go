// Package quotalegacy is Cyrus's "quotalegacy" cyrusdb backend, the 3.6.1
// default for quotas (formats.md §10.4): one small file per quota root
// under the directory of the configured database path:
//
//	<dir>/quota/<h>/<root>                            user.alice -> quota/a/user.alice
//	<dir>/domain/<hd>/<domain>/quota/<h>/<root>       example.com!user.bob
//	<dir>/domain/<hd>/<domain>/quota/root             example.com! (whole domain)
//
// h is dir_hash_c of the part after the first '.' of the root (the whole
// root if it has none), hd that of the domain; fulldirhash switches the
// hash. A file holds the value followed by LF; values that do not start
// with '%' are the pre-dlist "<used> <limit>" form, stored with the first
// SP as LF and read back with it as SP.
//
// Locks: each quota root file is locked (OFD, inode re-checked) the first
// time a transaction touches it: exclusively in a write transaction,
// shared in a read one, and kept to the end of the transaction. Storing a
// new root creates its file (empty) at once, so that concurrent writers
// lock the same file as Cyrus does; Abort removes it again. Commit writes
// each changed root to <file>.NEW (locked), fsyncs it, renames it over the
// file; deleted roots are unlinked. Files are independent: a crash in the
// middle of a multi-root commit can leave some roots committed and others
// not, as in Cyrus.
//
// Keys are quota root names: not empty, without '/' or NUL.
package quotalegacy
