// Package harness is what every Gyrus end-to-end test uses: it builds the
// programs once per test binary, starts a private instance (master with
// its own imapd.conf and cyrus.conf in a temporary directory, services on
// free loopback ports), hands out clients, collects the instance's log,
// and at the end fails the test on an unexpected error line or on a
// process left behind. It can start the real Cyrus 3.6.1 (the oracle)
// the same way, for differential tests.
//
// A test package starts with
//
//	func TestMain(m *testing.M) { harness.Main(m) }
//
// and a test with
//
//	in := harness.Start(t, harness.Options{})     // the default services that exist
//	in.AddUser(t, "alice", "secret")
//	c := in.IMAP(t, "imap")                       // go-imap v2 client, logged out at cleanup
//	l := in.Dial(t, "imap")                       // raw line client for transcripts
//	l.ExpectUntagged("OK")
//	l.OK("a1", "LOGIN alice secret")
//
// or with its own cyrus.conf, as a template: {bin} is the directory of
// the built programs, {conf} the imapd.conf path, {dir} the instance
// directory, {run} its run/ directory (sockets) and {port:NAME} a free
// loopback port (the same NAME gives the same port, and Addr(NAME)
// returns "127.0.0.1:port"):
//
//	in := harness.Start(t, harness.Options{CyrusConf: `
//	SERVICES {
//	  echo cmd="{bin}/testservice -C {conf}" listen="127.0.0.1:{port:echo}" prefork=1
//	}`})
//
// Instance layout (under t.TempDir()): etc/imapd.conf, etc/cyrus.conf,
// lib/ (configdirectory), spool/ (partition-default), run/ (pid file,
// ready file, sockets), log/syslog (every process's log lines, through
// $CASSANDANE_SYSLOG_FNAME) and log/master.log (master's stdout and
// stderr, with the services' stderr).
//
// Error lines: package log writes no level on stderr or in the file, so
// an error line is recognised by its event name (ErrorLine). Tests that
// provoke errors list the expected ones in Options.AllowLog.
//
// Nothing here is safe for use by several goroutines at once unless a
// method says so; each Conn belongs to one goroutine.
package harness
