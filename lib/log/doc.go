// Package log is how every Gyrus program logs: through syslog, like Cyrus,
// with the ident "<syslog_prefix>/<ident>" (or just "<ident>";
// $CYRUS_SYSLOG_PREFIX wins over syslog_prefix), the facility of
// syslog_facility (default MAIL, as Debian builds Cyrus), the pid, and
// LOG_DEBUG lines dropped unless `debug: on`.
//
// A line is a short event name followed by key=value pairs, so machines
// can read it:
//
//	login: host=[127.0.0.1] user=alice mech=PLAIN
//
// Values with spaces, quotes, '=' or control characters are quoted Go-style.
//
// Where lines go:
//   - the syslog socket (/dev/log), unless it does not exist or refuses
//     the line;
//   - stderr, as "ident[pid]: line", when running in the foreground or when
//     the socket is missing (containers) and no $CASSANDANE_SYSLOG_FNAME
//     file stands in for it (tests that compare a tool's stderr with
//     Cyrus's set it, to /dev/null if they do not read it);
//   - in addition, when $CASSANDANE_SYSLOG_FNAME
//     names a file, every line is appended to it in syslog's text form
//     ("Mon _2 15:04:05 host ident[pid]: line"), which the Cassandane test
//     suite greps.
//
// Usage: a program calls Setup once (package tool does it from imapd.conf),
// then Info/Notice/Warn/Error/Debug from any goroutine. Before Setup, lines
// go out with the program's base name as ident.
//
// Invariants: one mutex guards the writers; a log call blocks only on that
// mutex, one write per destination and, at most every 10 seconds while
// the socket is missing, one attempt to connect to it; logging never fails
// the caller (a line that cannot be written anywhere is dropped).
package log
