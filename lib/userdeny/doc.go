// Package userdeny is Cyrus 3.6.1's user deny list (imap/userdeny_db.c,
// spec/formats.md §11.7): user_deny.db (userdeny_db, default flat; path
// userdeny_db_path or <configdirectory>/user_deny.db), keyed by userid,
// with values
//
//	2 TAB <service wildmat list> TAB <message>
//
// (version 1 values have no message; the default message is then shown).
// A user is denied a service when, reading the comma-separated patterns
// left to right, the first one that matches the service name (the
// cyrus.conf entry name) is not negated with '!'. No entry, or no
// matching pattern, allows access. A missing database allows everyone.
//
// The package holds no state between calls besides the open database; it
// is safe for concurrent use.
package userdeny
