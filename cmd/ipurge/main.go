// Command ipurge deletes messages by age or size, as Cyrus 3.6.1's
// ipurge(8) does (spec/tools.md §6.3); by default only in shared
// folders:
//
//	ipurge [-C file] [-f] [-x] [-X] [-i] [-s] [-o] [-n] [-v] [-M]
//	       (-d days | -b bytes | -k KiB | -m MiB) [mailbox-pattern...]
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/reconstruct"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

func main() {
	if checkOptions(os.Args, os.Stdout, os.Stderr) {
		os.Exit(0)
	}
	tool.Main(program(os.Stdout))
}

// usage is printed on stdout and ends the program with status 0, as in
// Cyrus 3.6.1.
func usage(w io.Writer) error {
	fmt.Fprint(w, `usage: ipurge [-f] [-s] [-C <alt_config>] [-x] [-X] [-i] [-o] [-n] {-d days | -b bytes|-k Kbytes|-m Mbytes}
	[mboxpattern1 ... [mboxpatternN]]
	one of -d, -b, -k or -m is required
	without a pattern every mailbox is worked on
	 -x  exact match of the age or size
	 -f  user mailboxes (user.* and INBOX.*) too
	 -s  skip messages that are \Flagged
	 -X  age from the arrival time instead of the Date: header
	 -i  invert: not equal (with -x), newer, smaller
	 -M  these mailboxes only, not the ones below
	 -o  only messages that are \Deleted
	 -n  only print what would be deleted
	 -v  say what is done
`)
	return tool.Exit(0)
}

// program is the command line, separate from main for the tests.
func program(stdout io.Writer) tool.Program {
	return tool.Program{
		Name:      "ipurge",
		Usage:     "delete messages by age or size",
		ArgsUsage: "[-f] [-x] [-X] [-i] [-s] [-o] [-n] [-v] [-M] (-d days|-b bytes|-k KiB|-m MiB) [pattern...]",
		LazyInit:  true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "d", Usage: "age in days"},
			&cli.StringFlag{Name: "b", Usage: "size in bytes"},
			&cli.StringFlag{Name: "k", Usage: "size in KiB"},
			&cli.StringFlag{Name: "m", Usage: "size in MiB"},
			&cli.BoolFlag{Name: "x", Usage: "exact match"},
			&cli.BoolFlag{Name: "X", Usage: "use the arrival time"},
			&cli.BoolFlag{Name: "i", Usage: "invert the match"},
			&cli.BoolFlag{Name: "f", Usage: "user mailboxes too"},
			&cli.BoolFlag{Name: "s", Usage: "skip \\Flagged messages"},
			&cli.BoolFlag{Name: "o", Usage: "only \\Deleted messages"},
			&cli.BoolFlag{Name: "n", Usage: "dry run"},
			&cli.BoolFlag{Name: "v", Usage: "verbose"},
			&cli.BoolFlag{Name: "M", Usage: "do not recurse into submailboxes"},
			&cli.BoolFlag{Name: "h", Usage: "help"},
		},
		Action: func(ctx *tool.Context) error { return run(ctx, stdout) },
	}
}

type purger struct {
	w                                   io.Writer
	days, size                          int64 // -1: not given
	exact, invert, skipFlagged, onlyDel bool
	sentDate, dry, verbose, all         bool
	now                                 int64
}

type stats struct {
	total, totalBytes, deleted, deletedBytes uint64
}

func run(ctx *tool.Context, stdout io.Writer) error {
	if ctx.Bool("h") {
		return usage(stdout)
	}
	p := &purger{w: stdout, days: -1, size: -1, exact: ctx.Bool("x"), invert: ctx.Bool("i"),
		skipFlagged: ctx.Bool("s"), onlyDel: ctx.Bool("o"), sentDate: !ctx.Bool("X"),
		dry: ctx.Bool("n"), verbose: ctx.Bool("v"), all: ctx.Bool("f")}
	// the last of -b -k -m wins, as with getopt
	for _, o := range []struct {
		flag string
		mult int64
	}{{"b", 1}, {"k", 1024}, {"m", 1024 * 1024}} {
		if ctx.IsSet(o.flag) {
			p.size = int64(int32(int64(atoi(ctx.String(o.flag))) * o.mult))
		}
	}
	if ctx.IsSet("d") {
		p.days = int64(atoi(ctx.String("d"))) * 86400
	}
	if p.days == -1 && p.size == -1 {
		fmt.Fprintln(stdout, "One of these must be specified -d, -b -k, -m")
		return usage(stdout)
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	env, err := reconstruct.OpenEnv(ctx.Config)
	if err != nil {
		return tool.Fatal(sysexits.Config, "%v", err)
	}
	defer env.Close()
	p.now = time.Now().Unix()
	l := env.List
	ns := l.NS()
	admin := mboxname.Viewer{IsAdmin: true}
	args := ctx.Args().Slice()
	one := func(name string) error {
		e, err := l.Lookup(name)
		if err != nil {
			return nil
		}
		return p.purge(env, e)
	}
	switch {
	case len(args) == 0:
		err = l.FindAll([]string{"*"}, admin, 0, func(f mboxlist.Found) error { return one(f.Entry.Name) })
	case ctx.Bool("M"):
		for _, a := range args {
			name := a
			if n, err := ns.ParseExternal(a, admin); err == nil {
				name = ns.Internal(n)
			}
			if err := one(name); err != nil {
				break
			}
		}
	default:
		err = l.FindAll(args, admin, 0, func(f mboxlist.Found) error { return one(f.Entry.Name) })
	}
	if err != nil {
		log.Error("ipurge", "error", err.Error())
	}
	return nil
}

// atoi is C's atoi.
func atoi(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	n := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<31 {
			n = 1 << 31
		}
	}
	if neg {
		return -n
	}
	return n
}

// purge works on one mailbox (Cyrus purge_one).
func (p *purger) purge(env *reconstruct.Env, e *mboxlist.Entry) error {
	if !e.IsActive() || e.Type.Has(mboxlist.Remote) {
		return nil
	}
	ns := env.List.NS()
	if !p.all && ns.ParseInternal(e.Name).LocalPart != "" {
		return nil // user mailboxes only with -f
	}
	if p.verbose {
		fmt.Fprintf(p.w, "Working on %s...\n", e.Name)
	}
	loc, err := env.List.Settings().Locate(e)
	if err != nil {
		return err
	}
	mb, err := mailbox.Open(loc, env.Mailbox, mailbox.ReadWrite)
	if err != nil {
		log.Error("Couldn't find mailbox, check spelling", "mailbox", e.Name, "error", err.Error())
		return err
	}
	var st stats
	decide := func(r *index.Record) bool {
		if !p.matches(r, &st) {
			return false
		}
		st.deleted++
		st.deletedBytes += uint64(r.Size)
		if p.dry {
			p.printRecord(mb, r)
			return false
		}
		return true
	}
	if p.dry {
		err = mb.ForEachRecord(func(_ uint32, r *index.Record) error {
			if !r.Expunged() {
				decide(r)
			}
			return nil
		})
	} else {
		var tx *mailbox.Tx
		if tx, err = mb.Begin(); err == nil {
			if _, err = tx.Expunge(decide); err == nil {
				err = tx.Commit()
			} else {
				tx.Abort()
			}
		}
	}
	mb.Close()
	if err != nil {
		log.Error("ipurge", "mailbox", e.Name, "error", err.Error())
	}
	p.printStats(&st)
	return nil
}

// matches is Cyrus's purge_check without its side effects on the
// deletion counters: whether record r is to go.
func (p *purger) matches(r *index.Record, st *stats) bool {
	st.total++
	st.totalBytes += uint64(r.Size)
	if p.skipFlagged && r.SystemFlags&index.FlagFlagged != 0 {
		return false
	}
	if p.onlyDel && r.SystemFlags&index.FlagDeleted == 0 {
		return false
	}
	sent := int64(r.SentDate)
	if !p.sentDate {
		sent = int64(r.InternalDate)
	}
	if p.exact {
		if p.days >= 0 {
			return ((p.now-sent)/86400 == p.days/86400) != p.invert
		}
		if p.size >= 0 {
			return (int64(r.Size) == p.size) != p.invert
		}
		return false
	}
	if p.days >= 0 {
		if !p.invert && p.now-sent > p.days {
			return true
		}
		if p.invert && p.now-sent < p.days {
			return true
		}
	}
	if p.size >= 0 {
		if !p.invert && int64(int32(r.Size)) > p.size {
			return true
		}
		if p.invert && int64(int32(r.Size)) < p.size {
			return true
		}
	}
	return false
}

// ctime is C's ctime(3) in local time.
func ctime(t uint32) string {
	return time.Unix(int64(t), 0).Format("Mon Jan _2 15:04:05 2006") + "\n"
}

func (p *purger) printRecord(mb *mailbox.Mailbox, r *index.Record) {
	w := p.w
	fmt.Fprintf(w, "UID: %d\n", r.UID)
	fmt.Fprintf(w, "\tSize: %d\n", r.Size)
	fmt.Fprintf(w, "\tSent: %s", ctime(r.SentDate))
	fmt.Fprintf(w, "\tRecv: %s", ctime(r.InternalDate))
	ce, err := mb.CacheEntry(r)
	if err != nil {
		fmt.Fprintf(w, "\tERROR: cache record missing or corrupt, not printing cache details\n\n")
		return
	}
	fmt.Fprintf(w, "\tFrom: %s\n", ce.Item(index.CacheFrom))
	fmt.Fprintf(w, "\tTo  : %s\n", ce.Item(index.CacheTo))
	fmt.Fprintf(w, "\tCc  : %s\n", ce.Item(index.CacheCc))
	fmt.Fprintf(w, "\tBcc : %s\n", ce.Item(index.CacheBcc))
	fmt.Fprintf(w, "\tSubj: %s\n\n", ce.Item(index.CacheSubject))
}

func (p *purger) printStats(s *stats) {
	w := p.w
	fmt.Fprintf(w, "Total messages    \t\t %d\n", s.total)
	fmt.Fprintf(w, "Total bytes       \t\t %d\n", s.totalBytes)
	fmt.Fprintf(w, "Deleted messages  \t\t %d\n", s.deleted)
	fmt.Fprintf(w, "Deleted bytes     \t\t %d\n", s.deletedBytes)
	fmt.Fprintf(w, "Remaining messages\t\t %d\n", s.total-s.deleted)
	fmt.Fprintf(w, "Remaining bytes   \t\t %d\n", s.totalBytes-s.deletedBytes)
}
