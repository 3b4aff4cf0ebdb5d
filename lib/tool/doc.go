// Package tool is the common start of every Gyrus program, so that forty
// programs do not repeat it. Main builds a urfave/cli/v2 application with
// Cyrus-style flags and then, before the program's Action runs, does what
// Cyrus's cyrus_init() does (spec/tools.md §0):
//
//  1. makes sure file descriptors 0, 1 and 2 are open (on /dev/null), so a
//     file opened later never lands on them;
//  2. reads imapd.conf (-C file, else /etc/imapd.conf; $CYRUS_PREFIX is
//     tried first) with the program's ident: the program name for tools,
//     $CYRUS_SERVICE (the cyrus.conf entry name) for services;
//     a bad config prints "fatal error: <msg>" and exits 78 (EX_CONFIG)
//     before anything else happens; tools that need partitions check
//     them too;
//  3. when started as root, switches to the Cyrus user ($CYRUS_USER, then
//     cyrus_user, then "cyrus"; group $CYRUS_GROUP, then cyrus_group, then
//     the user's own) and exits 64 (EX_USAGE) with "must run as the Cyrus
//     user" if that fails; nothing happens when that user is root or the
//     program is not root;
//  4. sets up logging (package log) from syslog_prefix, syslog_facility,
//     debug and chatty, and logs the config's notices (unknown keys,
//     options not implemented yet, deprecated names) once;
//  5. sets the umask from the umask option (octal, default 077).
//
// Flags behave as with Cyrus's getopt: single-letter flags, combinable
// ("-rf", "-rfC file"), a flag's value as the next word or glued ("-Cfile"),
// flags and operands in any order unless Program.NoPermute ("--" ends the
// flags), and --help. Every program gets -C. Usage errors print the
// program's usage text on stderr and exit with Program.UsageExit.
//
// Example:
//
//	func main() {
//		tool.Main(tool.Program{
//			Name:      "cyr_df",
//			Usage:     "report disk usage of the mail partitions",
//			ArgsUsage: "[-C file] [-m]",
//			Flags:     []cli.Flag{&cli.BoolFlag{Name: "m", Usage: "report metapartitions"}},
//			Action: func(ctx *tool.Context) error {
//				parts := ctx.Config.Partitions()
//				if ctx.Bool("m") {
//					parts = ctx.Config.MetaPartitions()
//				}
//				if len(parts) == 0 {
//					return tool.Fatal(sysexits.Config, "no partitions configured")
//				}
//				...
//				return nil
//			},
//		})
//	}
//
// Action returns nil (exit 0), Fatal(code, ...) ("fatal error: <msg>" on
// stderr, exit code), Exit(code) (silent exit code), Usage(msg) (usage
// text, Program.UsageExit), or any other error ("fatal error: <err>",
// exit 1).
//
// Invariants: Main runs once per process and is the only place that
// exits; everything it does happens before the program's own code runs,
// in the order above (so config errors are reported even when the
// privilege switch would fail).
package tool
