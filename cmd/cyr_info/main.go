// Command cyr_info shows the configuration and the processes of a Gyrus
// (Cyrus) server, with the commands, options and output of Cyrus 3.6.1's
// cyr_info (cyr_info(8), spec/tools.md §3.10):
//
//	cyr_info [-C file] [-M cyrus.conf] [-n service] [-s oldversion] command
//
// Commands: conf, conf-all, conf-default, conf-lint, proc, version.
// A hidden --man prints imapd.conf(5) generated from the option table.
package main

import (
	"bufio"
	"os"

	"github.com/urfave/cli/v2"

	"gyrus/lib/config"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
	"gyrus/lib/version"
)

// usageText is Cyrus's usage() text, word for word: scripts and people
// compare it.
const usageText = `cyr_info [-C <altconfig>] [-M <cyrus.conf>] [-n servicename] [-s oldversion] command

If you give a service name (-n), it will show config as if you
were running that service, i.e. imap

If you give an old version (-s), it will highlight config
options that are new or whose behaviour has changed since that
version.

Where command is one of:

  * conf          - listing of non-default config values
  * conf-all      - listing of all config values
  * conf-default  - listing of all default config values
  * conf-lint     - unknown config keys
  * proc          - listing of all open processes
  * version       - Cyrus version

`

func main() {
	tool.Main(program())
}

func program() tool.Program {
	return tool.Program{
		Name:      "cyr_info",
		Usage:     "show configuration and processes",
		ArgsUsage: "command",
		UsageText: usageText,
		UsageExit: sysexits.Minus1,
		LazyInit:  true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "M", Usage: "read service names from `FILE` instead of /etc/cyrus.conf"},
			&cli.StringFlag{Name: "n", Usage: "show the config as service `NAME` sees it"},
			&cli.StringFlag{Name: "s", Usage: "highlight options changed since Cyrus `VERSION`"},
			&cli.BoolFlag{Name: "man", Hidden: true},
		},
		Ident:  func(cc *cli.Context) string { return cc.String("n") },
		Action: run,
	}
}

func run(ctx *tool.Context) error {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	if ctx.Bool("man") {
		return config.WriteManPage(out)
	}
	var since uint32
	want := ctx.IsSet("s")
	if want {
		var ok bool
		if since, ok = parseSince(ctx.String("s")); !ok {
			return tool.Usage("")
		}
	}
	if ctx.NArg() < 1 {
		return tool.Usage("")
	}
	cmd := ctx.Args().First()
	// Like Cyrus, version needs no configuration.
	if cmd == "version" {
		out.WriteString(version.Package + " " + version.Version + "\n")
		return nil
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	h := highlighter{want: want, since: since}
	switch cmd {
	case "proc":
		return doProc(out, ctx.Config)
	case "conf-all":
		doConf(out, ctx.Config, false, h)
	case "conf":
		doConf(out, ctx.Config, true, h)
	case "conf-default":
		doDefault(out, ctx.Config, h)
	case "conf-lint":
		return doLint(out, ctx.Config, ctx.String("M"))
	default:
		out.Flush()
		return tool.Usage("")
	}
	return nil
}
