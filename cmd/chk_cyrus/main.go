// Command chk_cyrus checks mailboxes without changing them, as Cyrus
// 3.6.1's chk_cyrus(8) does (spec/tools.md §3.7): each mailbox is
// reconstructed in dry-run mode (no stat of the message files) and the
// problems found are printed on stdout; progress goes to stderr.
//
//	chk_cyrus [-C file] [-P partition | -M mailbox]
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/reconstruct"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

func main() {
	tool.Main(program(os.Stdout, os.Stderr))
}

// program is the command line, separate from main for the tests.
func program(stdout, stderr io.Writer) tool.Program {
	return tool.Program{
		Name:           "chk_cyrus",
		Usage:          "check mailboxes without changing them",
		ArgsUsage:      "[-P partition | -M mailbox]",
		UsageText:      "chk_cyrus [-C <altconfig>] partition\n",
		UsageExit:      sysexits.Minus1,
		NeedPartitions: true,
		LazyInit:       true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "P", Usage: "only the mailboxes of this partition"},
			&cli.StringFlag{Name: "M", Usage: "only this mailbox (internal name)"},
		},
		Action: func(ctx *tool.Context) error { return run(ctx, stdout, stderr) },
	}
}

func run(ctx *tool.Context, stdout, stderr io.Writer) error {
	if ctx.IsSet("P") && ctx.IsSet("M") {
		return tool.Usage("")
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	env, err := reconstruct.OpenEnv(ctx.Config)
	if err != nil {
		return tool.Fatal(sysexits.Config, "%v", err)
	}
	defer env.Close()
	env.Out, env.Err = stdout, io.Discard
	r := reconstruct.New(*env, reconstruct.Options{NoName: true, NoMboxlist: true})
	part := ctx.String("P")
	check := func(name string) error {
		e, err := env.List.Lookup(name)
		if err != nil {
			fmt.Fprintf(stderr, "bad mailbox %s in chkmbox\n", name)
			return tool.Fatal(sysexits.TempFail, "fatal error")
		}
		if part != "" && e.Partition != part {
			return nil
		}
		fmt.Fprintf(stderr, "checking: %s\n", name)
		r.Mailbox(name) // problems are printed; errors are not Cyrus's business here
		return nil
	}
	if mb := ctx.String("M"); mb != "" {
		fmt.Fprintf(stderr, "Examining mailbox: %s\n", mb)
		if _, err := env.List.LookupAll(mb); err != nil {
			return nil
		}
		return check(mb)
	}
	p := part
	if p == "" {
		p = "ALL PARTITIONS"
	}
	fmt.Fprintf(stderr, "Examining partition: %s\n", p)
	var stop error
	err = env.List.FindAll([]string{"*"}, mboxname.Viewer{IsAdmin: true}, 0, func(f mboxlist.Found) error {
		if err := check(f.Entry.Name); err != nil {
			stop = err
			return mboxlist.ErrStop
		}
		return nil
	})
	if stop != nil {
		return stop
	}
	if err != nil && !errors.Is(err, mboxlist.ErrStop) {
		return tool.Fatal(sysexits.IOErr, "%v", err)
	}
	return nil
}
