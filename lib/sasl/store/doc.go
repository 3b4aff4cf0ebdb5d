// Package store is Gyrus's own SASL secrets file: the place where
// saslpasswd2 puts new and changed passwords, and which the auxprop
// password check consults before Cyrus SASL's Berkeley DB sasldb2.
//
// File: "<sasl_sasldb_path>.gyrus" (PathFor), beside the sasldb2 file,
// e.g. /etc/sasldb2.gyrus. Text, one line per user, sorted by key:
//
//	# gyrus-sasl-secrets 1
//	alice@example.org SCRAM-SHA-1$100000:<salt>$<StoredKey>:<ServerKey> SCRAM-SHA-256$100000:<salt>$<StoredKey>:<ServerKey>
//	bob@example.org !deleted
//
// The key is user "@" realm as in sasldb (user@realm, realm = the realm
// libsasl would use: servername unless given); both parts are written
// with %XX escapes for '%', '@', space, controls and bytes >= 0x7f, so the
// first '@' always separates them. Each secret uses the RFC 3112
// authPassword syntax that Cyrus SASL's SCRAM plugin also writes:
// scheme "$" iteration-count ":" base64(salt) "$" base64(StoredKey) ":"
// base64(ServerKey), with SaltedPassword = PBKDF2-HMAC-H(password, salt,
// i), StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey =
// HMAC(SaltedPassword, "Server Key") (RFC 5802 section 3). The same
// verifier checks a plain password (derive and compare StoredKey) and
// serves SCRAM, so no password is ever kept in clear, and the cost of a
// guess is the PBKDF2 iteration count (DefaultIterations, or
// sasl_scram_iteration_counter).
//
// "!deleted" is a tombstone: the user was deleted with saslpasswd2 -d and
// must not fall back to an entry of the old sasldb2 file.
//
// Invariants and locking:
//   - Writers hold an exclusive OFD lock (gyrus/lib/lockfile) on the file
//     itself, re-read it under the lock, write a temporary file in the same
//     directory, fsync it, rename it over the file and fsync the directory.
//     A writer waiting on the old inode sees the rename and starts again.
//   - Readers take no lock: a rename is atomic, so they see the old or the
//     new file whole. They cache the parsed file and re-read it when its
//     inode, size or modification time changes.
//   - A password verified against a secret is remembered in memory for ten
//     minutes (verified.go: an HMAC under a per-process random key, bound
//     to the secret's StoredKey), so repeated logins skip PBKDF2; wrong
//     passwords are never remembered and always pay the full count.
//   - A parse error in the file is reported, never guessed around: a login
//     must not succeed or fall back to sasldb2 because a line is damaged.
package store
