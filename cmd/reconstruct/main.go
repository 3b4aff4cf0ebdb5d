// Command reconstruct repairs mailboxes from their message files, as Cyrus
// 3.6.1's reconstruct(8) does (spec/tools.md §3.1); the work is done by
// gyrus/lib/reconstruct.
//
//	reconstruct [-C file] [-p partition] [-x] [-r] [-f] [-s] [-q] [-n] [-G] [-R] [-U]
//	            [-o|-O] [-M] [-I] mailbox...
//	reconstruct [options] -u userid...
//	reconstruct [-C file] [-r] [-q] -V version|max mailbox...
//	reconstruct [-C file] -P path...
//	reconstruct [-C file] -m
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/reconstruct"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

const usageText = `usage: reconstruct [-C <config>] [-p <partition>] [-x] [-r] [-f] [-s] [-q] [-n]
                   [-G] [-R] [-U] [-o|-O] [-M] [-I] [-V <version>|max] [-u|-P] name...
       reconstruct [-C <config>] -m
Rebuilds the cyrus.index, cyrus.cache and cyrus.header files of mailboxes
from their message files, and their mailboxes.db entries.
  -p <partition>  names missing from mailboxes.db: look for them on this partition
  -x              with -p or -f: do not take uniqueid and ACL from the files found
  -r              also every mailbox below the named ones
  -f              also look on disk for mailboxes that mailboxes.db lacks
  -s              do not stat the message files
  -q              print no mailbox names
  -n              only report, change nothing
  -G              parse every message file again (checks GUIDs)
  -R              a message file whose GUID changed gets a new UID
  -U              a message file whose GUID changed is deleted (destructive)
  -o              say nothing about unexpected files in mailbox directories
  -O              delete unexpected files in mailbox directories
  -M              mailboxes.db wins over cyrus.header (ACL, uniqueid, UIDVALIDITY)
  -I              a uniqueid that another mailbox has is replaced by a new one
  -V <version>    convert cyrus.index to this minor version (16, 17 or max)
  -u              the names are userids: all of each user's mailboxes
  -P              the names are paths of mailbox directories or cyrus.header
                  files: only their mailboxes.db entries are made
  -m              check mailboxes.db against the partitions (as ctl_mboxlist -v)
`

func main() {
	tool.Main(program(os.Stdout, os.Stderr))
}

// program is the command line, separate from main for the tests.
func program(stdout, stderr io.Writer) tool.Program {
	var flags []cli.Flag
	for _, f := range []struct{ n, u string }{
		{"r", "recurse into submailboxes"}, {"f", "look on disk for unknown mailboxes"},
		{"s", "do not stat message files"}, {"q", "quiet"}, {"n", "dry run"},
		{"G", "parse every message file"}, {"R", "new UID on GUID mismatch"},
		{"U", "delete message files whose GUID changed"}, {"o", "ignore odd files"},
		{"O", "delete odd files"}, {"M", "prefer mailboxes.db"}, {"I", "replace clashing uniqueids"},
		{"u", "arguments are userids"}, {"P", "arguments are paths"}, {"m", "check mailboxes.db"},
		{"x", "do not import metadata"}, {"k", "deprecated"}, {"g", "deprecated"}, {"d", "not supported"},
	} {
		flags = append(flags, &cli.BoolFlag{Name: f.n, Usage: f.u})
	}
	flags = append(flags,
		&cli.StringFlag{Name: "p", Usage: "partition of mailboxes missing from mailboxes.db"},
		&cli.StringFlag{Name: "V", Usage: "cyrus.index minor version to convert to"})
	return tool.Program{
		Name:           "reconstruct",
		Usage:          "rebuild mailboxes from their message files",
		ArgsUsage:      "[options] mailbox...",
		UsageText:      usageText,
		Flags:          flags,
		NeedPartitions: true,
		LazyInit:       true,
		Action:         func(ctx *tool.Context) error { return run(ctx, stdout, stderr) },
	}
}

func run(ctx *tool.Context, stdout, stderr io.Writer) error {
	if ctx.Bool("d") {
		return tool.Usage("")
	}
	if ctx.Bool("k") {
		fmt.Fprintln(stderr, "reconstruct: deprecated option -k ignored")
	}
	if ctx.Bool("g") {
		fmt.Fprintln(stderr, "reconstruct: deprecated option -g ignored")
	}
	o := reconstruct.Options{
		MakeChanges: !ctx.Bool("n"), Stat: !ctx.Bool("s"), Quiet: ctx.Bool("q"),
		AlwaysParse: ctx.Bool("G"), GUIDRewrite: ctx.Bool("R"), GUIDUnlink: ctx.Bool("U"),
		IgnoreOddFiles: ctx.Bool("o"), RemoveOddFiles: ctx.Bool("O"),
		PreferMboxlist: ctx.Bool("M"), UpdateUniqueID: ctx.Bool("I"),
	}
	if ctx.IsSet("V") {
		v := ctx.String("V")
		if strings.EqualFold(v, "max") {
			o.SetVersion = index.MinorVersion
		} else {
			n, _ := strconv.Atoi(v) // atoi, as Cyrus
			o.SetVersion = n
		}
	}
	args := ctx.Args().Slice()
	users, paths, rflag, fflag := ctx.Bool("u"), ctx.Bool("P"), ctx.Bool("r"), ctx.Bool("f")
	if ctx.Bool("m") && (rflag || fflag || len(args) > 0) {
		return tool.Usage("")
	}
	if users && paths {
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
	env.Out, env.Err = stdout, stderr
	l := env.List
	if ctx.Bool("m") {
		probs, err := l.Verify(mboxlist.VerifyOptions{Repair: o.MakeChanges})
		for _, p := range probs {
			fmt.Fprintln(stdout, strings.TrimRight(p.String(), "\n"))
		}
		if err != nil {
			return tool.Fatal(sysexits.IOErr, "%v", err)
		}
		return nil
	}
	r := reconstruct.New(*env, o)
	ns := l.NS()
	admin := mboxname.Viewer{IsAdmin: true}
	intname := func(ext string) string {
		n, err := ns.ParseExternal(ext, admin)
		if err != nil {
			return ext
		}
		return ns.Internal(n)
	}
	if part := ctx.String("p"); ctx.IsSet("p") {
		if len(args) == 0 {
			fmt.Fprint(stderr, "When using -p, you must specify a mailbox to attempt to reconstruct.")
			return tool.Exit(sysexits.Usage)
		}
		for _, a := range args {
			if strings.ContainsAny(a, "%*") {
				fmt.Fprintln(stderr, "Using wildcards with -p is not supported.")
				return tool.Exit(sysexits.Usage)
			}
			if _, err := l.Lookup(intname(a)); !errors.Is(err, mboxlist.ErrNotFound) {
				fmt.Fprintf(stderr, "Mailbox %s already exists.  Cannot specify -p.\n", a)
				return tool.Exit(sysexits.Usage)
			}
		}
		for _, a := range args {
			if err := r.CreateOnPartition(intname(a), part, ctx.Bool("x")); err != nil {
				fmt.Fprintf(stderr, "could not create %s\n", a)
			}
		}
	}
	code := 0
	do := func(name string) {
		if err := r.Mailbox(name); err != nil && errors.Is(err, reconstruct.ErrUniqueIDClash) {
			code = 1
		}
	}
	var discovered []string
	discover := func(name string) {
		if fflag && r.Visited(name) {
			d, _ := r.Discover(name)
			discovered = append(discovered, d...)
		}
	}
	switch {
	case len(args) == 0 && (rflag || users):
		fmt.Fprintln(stderr, "please specify a mailbox to recurse from")
		return tool.Exit(sysexits.Usage)
	case len(args) == 0 && !paths:
		err = l.FindAll([]string{"*"}, admin, 0, func(f mboxlist.Found) error {
			if f.Entry.IsActive() {
				do(f.Entry.Name)
				discover(f.Entry.Name)
			}
			return nil
		})
	}
	for _, a := range args {
		switch {
		case users:
			inbox := ns.Internal(ns.FromUserID(a))
			err = l.Tree(inbox, mboxlist.WithDeleted, func(e *mboxlist.Entry) error {
				if e.IsActive() {
					do(e.Name)
					discover(e.Name)
				}
				return nil
			})
		case paths:
			r.FromPath(a)
		default:
			pattern := a
			err = l.FindAll([]string{pattern}, admin, 0, func(f mboxlist.Found) error {
				if f.Entry.IsActive() {
					do(f.Entry.Name)
					discover(f.Entry.Name)
				}
				return nil
			})
			if err == nil && rflag {
				sub := pattern
				domain := ""
				if at := strings.IndexByte(sub, '@'); at >= 0 {
					sub, domain = sub[:at], sub[at:]
				}
				sep := string(ns.Sep())
				err = l.FindAll([]string{sub + sep + "*" + domain}, admin, 0, func(f mboxlist.Found) error {
					if f.Entry.IsActive() {
						do(f.Entry.Name)
						discover(f.Entry.Name)
					}
					return nil
				})
			}
		}
		if err != nil {
			return tool.Fatal(sysexits.IOErr, "%v", err)
		}
	}
	for len(discovered) > 0 {
		name := discovered[0]
		discovered = discovered[1:]
		if err := r.CreateDiscovered(name, ctx.Bool("x")); err != nil {
			fmt.Fprintf(stderr, "createmailbox %s: %v\n", name, err)
			continue
		}
		if o.MakeChanges {
			do(name)
			discover(name)
		}
	}
	return tool.Exit(code)
}
