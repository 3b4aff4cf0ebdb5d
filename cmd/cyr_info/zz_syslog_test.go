package main

import "os"

// CI has no syslog socket, and package log then copies every line to
// stderr, which these tests compare with Cyrus's: a stand-in syslog file
// ($CASSANDANE_SYSLOG_FNAME, inherited by the programs the tests start)
// takes the lines instead.
func init() {
	if os.Getenv("CASSANDANE_SYSLOG_FNAME") == "" {
		os.Setenv("CASSANDANE_SYSLOG_FNAME", os.DevNull)
	}
}
