// Command ctl_mboxlist dumps, loads and verifies mailboxes.db, as Cyrus
// 3.6.1's ctl_mboxlist(8) does (spec/tools.md §3.3):
//
//	ctl_mboxlist [-C file] -d [-x] [-y] [-p partition] [-f dbfile]
//	ctl_mboxlist [-C file] -u [-f dbfile] [-L]
//	ctl_mboxlist [-C file] -v [-f dbfile]
//
// -m (populate a Murder's MUPDATE server) is refused: Gyrus has no Murder.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"gyrus/lib/mboxlist"
	"gyrus/lib/tool"
)

const usageText = "DUMP:\n" +
	"  ctl_mboxlist [-C <alt_config>] -d [-x] [-y] [-p partition] [-f filename]\n" +
	"UNDUMP:\n" +
	"  ctl_mboxlist [-C <alt_config>] -u [-f filename] [-L]    [< mboxlist.dump]\n" +
	"MUPDATE populate:\n" +
	"  ctl_mboxlist [-C <alt_config>] -m [-a] [-w] [-i] [-f filename]\n" +
	"VERIFY:\n" +
	"  ctl_mboxlist [-C <alt_config>] -v [-f filename]\n"

func main() {
	tool.Main(program())
}

// program is the command line, separate from main for the tests.
func program() tool.Program {
	return tool.Program{
		Name:      "ctl_mboxlist",
		Usage:     "dump, load and verify the mailbox list",
		ArgsUsage: "-d|-u|-v [options]",
		UsageText: usageText,
		UsageExit: 1,
		LazyInit:  true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "d", Usage: "dump mailboxes.db as JSON"},
			&cli.BoolFlag{Name: "u", Usage: "load (undump) entries from standard input"},
			&cli.BoolFlag{Name: "v", Usage: "verify mailboxes.db against the partitions and repair"},
			&cli.BoolFlag{Name: "m", Usage: "populate a Murder MUPDATE server (not supported)"},
			&cli.BoolFlag{Name: "x", Usage: "with -d: delete each entry after dumping it"},
			&cli.BoolFlag{Name: "y", Usage: "with -d: include intermediate entries"},
			&cli.StringFlag{Name: "p", Usage: "with -d: only entries on this partition"},
			&cli.StringSliceFlag{Name: "f", Usage: "mailboxes.db file to use"},
			&cli.BoolFlag{Name: "L", Usage: "with -u: read the legacy line format"},
			&cli.BoolFlag{Name: "a", Usage: "with -m: local database is authoritative"},
			&cli.BoolFlag{Name: "w", Usage: "with -m: only print what would be done"},
			&cli.BoolFlag{Name: "i", Usage: "with -m: ask before deleting"},
		},
		Action: run,
	}
}

func run(ctx *tool.Context) error {
	var ops []string
	for _, o := range []string{"d", "u", "m", "v"} {
		if ctx.Bool(o) {
			ops = append(ops, o)
		}
	}
	files := ctx.StringSlice("f")
	if len(ops) != 1 || len(files) > 1 || ctx.Args().Len() > 0 {
		return tool.Usage("")
	}
	op := ops[0]
	if op != "m" && (ctx.Bool("a") || ctx.Bool("w")) ||
		op != "d" && (ctx.IsSet("p") || ctx.Bool("x") || ctx.Bool("y")) ||
		op != "u" && ctx.Bool("L") {
		return tool.Usage("")
	}
	if op == "m" {
		fmt.Fprintln(os.Stderr, "ctl_mboxlist: Murder (MUPDATE) is not supported by Gyrus")
		return tool.Usage("")
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	s, err := mboxlist.SettingsFromConfig(ctx.Config)
	if err != nil {
		return tool.Fatal(78, "%v", err)
	}
	if len(files) == 1 {
		s.Path = files[0]
	}
	l, err := mboxlist.Open(s)
	if err != nil {
		return tool.Fatal(75, "can't open mailboxes file: %v", err)
	}
	defer l.Close()
	switch op {
	case "d":
		err = l.Dump(os.Stdout, mboxlist.DumpOptions{Partition: ctx.String("p"),
			Intermediates: ctx.Bool("y"), Purge: ctx.Bool("x")})
	case "u":
		warn := func(m string) { fmt.Fprintln(os.Stderr, m) }
		if ctx.Bool("L") {
			err = l.UndumpLegacy(os.Stdin, warn)
		} else {
			err = l.UndumpJSON(os.Stdin, warn)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return tool.Exit(255)
			}
		}
	case "v":
		err = verify(l, os.Stdout)
	}
	if err != nil {
		return err
	}
	return nil
}

func verify(l *mboxlist.List, w io.Writer) error {
	probs, err := l.Verify(mboxlist.VerifyOptions{Repair: true})
	bw := bufio.NewWriter(w)
	for _, p := range probs {
		fmt.Fprintln(bw, strings.TrimRight(p.String(), "\n"))
	}
	bw.Flush()
	return err
}
