package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"gyrus/lib/sysexits"
	"gyrus/lib/version"
)

// options are master's command line (master(8)).
type options struct {
	imapdConf  string // -C
	cyrusConf  string // -M
	backlog    int    // -l
	pidFile    string // -p
	janitor    int    // -j
	daemon     bool   // -d
	debug      bool   // -D: keep stdin/stdout/stderr
	logFile    string // -L
	verbose    int    // -v (repeatable)
	readyFile  string // -r
	daemonPipe int    // internal: set in the child of -d
}

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	var o options
	code := sysexits.OK
	app := &cli.App{
		Name:                   "master",
		Usage:                  "start and supervise the Gyrus (Cyrus IMAP) services",
		UsageText:              "master [-C imapd.conf] [-M cyrus.conf] [-l backlog] [-p pidfile] [-r readyfile] [-j janitor] [-d | -D] [-L logfile] [-v] [-V]",
		HideHelpCommand:        true,
		HideVersion:            true,
		UseShortOptionHandling: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "C", Usage: "read `imapd.conf` from this file", Destination: &o.imapdConf},
			&cli.StringFlag{Name: "M", Usage: "read `cyrus.conf` from this file (default /etc/cyrus.conf)", Destination: &o.cyrusConf},
			&cli.IntFlag{Name: "l", Usage: "listen(2) `backlog` of the listening sockets", Value: 32, Destination: &o.backlog},
			&cli.StringFlag{Name: "p", Usage: "write master's pid to this `file` (default master_pid_file)", Destination: &o.pidFile},
			&cli.StringFlag{Name: "r", Usage: "create this `file` once ready (default master_ready_file)", Destination: &o.readyFile},
			&cli.IntFlag{Name: "j", Usage: "janitor sweeps per second", Value: 1, Destination: &o.janitor},
			&cli.BoolFlag{Name: "d", Usage: "run as a daemon in the background", Destination: &o.daemon},
			&cli.BoolFlag{Name: "D", Usage: "debug: keep stdin, stdout and stderr", Destination: &o.debug},
			&cli.StringFlag{Name: "L", Usage: "append stdout and stderr to this `file`", Destination: &o.logFile},
			&cli.BoolFlag{Name: "v", Usage: "more logging (repeatable)", Count: &o.verbose},
			&cli.BoolFlag{Name: "V", Usage: "print the version and exit"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("V") {
				fmt.Println(version.String())
				return nil
			}
			if c.NArg() > 0 {
				return cli.Exit("master: unexpected argument "+c.Args().First(), sysexits.Usage)
			}
			code = start(o)
			return nil
		},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return cli.Exit("master: "+err.Error(), sysexits.Usage)
		},
		ExitErrHandler: func(c *cli.Context, err error) {
			if err == nil {
				return
			}
			if ec, ok := err.(cli.ExitCoder); ok {
				fmt.Fprintln(os.Stderr, err)
				code = ec.ExitCode()
				return
			}
			fmt.Fprintln(os.Stderr, "master:", err)
			code = sysexits.Usage
		},
	}
	if err := app.Run(args); err != nil && code == sysexits.OK {
		code = sysexits.Usage
	}
	return code
}
