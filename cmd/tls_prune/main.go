// Command tls_prune deletes expired entries from the TLS sessions
// database (tls_sessions_db at tls_sessions_db_path, default
// {configdirectory}/tls_sessions.db), as Cyrus 3.6.1's tls_prune(8) does
// (spec/tools.md §6.2):
//
//	tls_prune [-C file]
//
// The database holds Gyrus's shared session-ticket keys and, when it came
// from Cyrus, Cyrus's cached sessions; both start with their expiry time
// and both are pruned (gyrus/lib/tlsutil). Typical cyrus.conf EVENTS
// entry: tlsprune cmd="tls_prune" at=0400.
//
// Like Cyrus's, it writes nothing on stdout or stderr: it logs "tls_prune:
// purged N out of M entries" (or "tls_prune: FILE not found, nothing to
// do") at NOTICE. Exit status: 0 on success and when the database does
// not exist; 255 for any other option (usage on stderr); the negated
// cyrusdb error code when the database cannot be read or written (255 for
// an I/O error or damage, 250 when it is locked); 78 for a bad imapd.conf.
package main

import (
	"errors"
	"time"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/sysexits"
	"gyrus/lib/tlsutil"
	"gyrus/lib/tool"
)

// Cyrus's cyrusdb error codes, which its tls_prune returns from main.
const (
	cyrusdbIOError = 256 - 1 // CYRUSDB_IOERROR
	cyrusdbLocked  = 256 - 6 // CYRUSDB_LOCKED
)

func main() {
	tool.Main(program())
}

func program() tool.Program {
	return tool.Program{
		Name:      "tls_prune",
		Usage:     "delete expired entries from the TLS sessions database",
		ArgsUsage: "[-C file]",
		UsageText: "tls_prune [-C <altconfig>]\n",
		UsageExit: sysexits.Minus1,
		Action: func(ctx *tool.Context) error {
			_, err := tlsutil.Prune(ctx.Config, time.Now())
			switch {
			case err == nil, errors.Is(err, tlsutil.ErrNoSessionsDB):
				return nil
			case errors.Is(err, cyrusdb.ErrLocked):
				return tool.Exit(cyrusdbLocked)
			default:
				return tool.Exit(cyrusdbIOError) // already logged as DBERROR
			}
		},
	}
}
