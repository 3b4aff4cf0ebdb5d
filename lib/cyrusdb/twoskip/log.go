package twoskip

import (
	"time"

	"gyrus/lib/log"
)

// The lines twoskip logs, worded as Cyrus 3.6.1's cyrusdb_twoskip.c words
// them (a sysadmin's greps keep working), through gyrus/lib/log so they
// reach syslog with the program's ident like every other line.

func plural(n uint64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func logRecovered(path string, records, size uint64, took time.Duration, fixed int) {
	s := "s"
	if fixed == 1 {
		s = ""
	}
	log.Printf(log.LevelInfo, "twoskip: recovered %s (%d record%s, %d bytes) in %2.3f seconds - fixed %d offset%s",
		path, records, plural(records), size, took.Seconds(), fixed, s)
}

func logCheckpointed(path string, records, from, to uint64, took time.Duration) {
	log.Printf(log.LevelInfo, "twoskip: checkpointed %s (%d record%s, %d => %d bytes) in %2.3f seconds",
		path, records, plural(records), from, to, took.Seconds())
}

func logRecovery1Failed(path string, err error) {
	log.Printf(log.LevelErr, "DBERROR: recovery1 failed, trying recovery2: filename=<%s> error=<%v> func=<recovery>", path, err)
}

func logCommitNotApplied(path string, off uint64, err error) {
	log.Printf(log.LevelErr, "DBERROR: failed to apply commit in recovery2, continuing: filename=<%s> offset=<%08X> error=<%v> func=<recovery2>", path, off, err)
}

func logRescued(path string, records, before uint64) {
	log.Printf(log.LevelNotice, "twoskip: recovery2 %s - rescued %d of %d records", path, records, before)
}
