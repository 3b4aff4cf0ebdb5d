// Command unexpunge lists and restores messages that are expunged but
// still on disk (expunge_mode: delayed), as Cyrus 3.6.1's unexpunge(8)
// does (spec/tools.md §3.6):
//
//	unexpunge [-C file] -l mailbox [uid...]
//	unexpunge [-C file] -t interval [-d] [-v] [-f flag] mailbox
//	unexpunge [-C file] -a [-d] [-v] [-f flag] mailbox
//	unexpunge [-C file] -u [-d] [-v] [-f flag] mailbox uid...
//
// Restored messages get new UIDs (a client never sees an expunged UID
// come back); the work is lib/mailbox's Tx.Unexpunge.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
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

const usageText = "unexpunge [-C <altconfig>] -l <mailbox> [<uid>...]\n" +
	"unexpunge [-C <altconfig>] -t time-interval [-d] [-v] [-f flag] mailbox\n" +
	"unexpunge [-C <altconfig>] -a [-d] [-v] [-f flag] <mailbox>\n" +
	"unexpunge [-C <altconfig>] -u [-d] [-v] [-f flag] <mailbox> <uid>...\n"

func main() {
	tool.Main(program(os.Stdout))
}

// program is the command line, separate from main for the tests.
func program(stdout io.Writer) tool.Program {
	return tool.Program{
		Name:      "unexpunge",
		Usage:     "list or restore expunged messages",
		ArgsUsage: "-l|-t interval|-a|-u [-d] [-v] [-f flag] mailbox [uid...]",
		UsageText: usageText,
		UsageExit: sysexits.Minus1,
		LazyInit:  true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "l", Usage: "list the expunged messages"},
			&cli.BoolFlag{Name: "a", Usage: "restore every expunged message"},
			&cli.StringFlag{Name: "t", Usage: "restore the messages expunged within this interval (N[m|h|d|w])"},
			&cli.BoolFlag{Name: "u", Usage: "restore the given UIDs"},
			&cli.BoolFlag{Name: "d", Usage: "clear \\Deleted on the restored messages"},
			&cli.StringFlag{Name: "f", Usage: "set this user flag on the restored messages"},
			&cli.BoolFlag{Name: "v", Usage: "name each restored message"},
		},
		Action: func(ctx *tool.Context) error { return run(ctx, stdout) },
	}
}

const (
	modeList = iota + 1
	modeAll
	modeTime
	modeUID
)

// parseInterval reads -t as Cyrus does: atoi, then a last character m,
// h, d or w multiplies (only for a positive number of two characters or
// more); anything else is seconds.
func parseInterval(s string) int64 {
	secs := int64(atoi(s))
	if secs > 0 && len(s) > 1 {
		switch s[len(s)-1] {
		case 'm':
			secs *= 60
		case 'h':
			secs *= 60 * 60
		case 'd':
			secs *= 24 * 60 * 60
		case 'w':
			secs *= 7 * 24 * 60 * 60
		}
	}
	return secs
}

// atoi is C's atoi: leading blanks, a sign, digits; 0 if none.
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

func run(ctx *tool.Context, stdout io.Writer) error {
	mode := 0
	for _, m := range []struct {
		flag string
		mode int
	}{{"l", modeList}, {"a", modeAll}, {"t", modeTime}, {"u", modeUID}} {
		if ctx.IsSet(m.flag) {
			if mode != 0 {
				return tool.Usage("")
			}
			mode = m.mode
		}
	}
	args := ctx.Args().Slice()
	need := 1
	if mode == modeUID {
		need = 2
	}
	if mode == 0 || len(args) < need {
		return tool.Usage("")
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	flag := ctx.String("f")
	if flag != "" && flag[0] == '\\' {
		log.Error("can't set a system flag")
		return tool.Fatal(sysexits.Software, "can't set a system flag")
	}
	since := time.Now().Unix()
	if mode == modeTime {
		since -= parseInterval(ctx.String("t"))
	}
	env, err := reconstruct.OpenEnvAnyPartition(ctx.Config)
	if err != nil {
		return tool.Fatal(sysexits.Config, "%v", err)
	}
	defer env.Close()
	ns := env.List.NS()
	admin := mboxname.Viewer{IsAdmin: true}
	intname := args[0]
	if n, err := ns.ParseExternal(args[0], admin); err == nil {
		intname = ns.Internal(n)
	}
	var uids []uint32
	for _, a := range args[1:] {
		n, _ := strconv.ParseUint(a, 10, 32) // strtoul: junk gives 0
		uids = append(uids, uint32(n))
	}
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	want := func(uid uint32) bool {
		if len(uids) == 0 {
			return true
		}
		i := sort.Search(len(uids), func(i int) bool { return uids[i] >= uid })
		return i < len(uids) && uids[i] == uid
	}
	mb, err := open(env, intname)
	if mode == modeList {
		if err != nil {
			fmt.Fprintf(stdout, "Failed to open mailbox %s: %s", intname, cyrusMessage(err)) // sic: no newline
			return nil
		}
		defer mb.Close()
		return list(stdout, mb, want)
	}
	if err != nil {
		fmt.Fprintf(stdout, "Failed to open mailbox '%s'\n", intname)
		return tool.Exit(exitCode(err))
	}
	defer mb.Close()
	ext, ok := ns.External(ns.ParseInternal(intname), admin)
	if !ok {
		ext = intname
	}
	all := ""
	if mode == modeAll {
		all = "all "
	}
	fmt.Fprintf(stdout, "restoring %sexpunged messages in mailbox '%s'\n", all, ext)
	tx, err := mb.Begin()
	if err != nil {
		return tool.Fatal(sysexits.TempFail, "%s: %v", intname, err)
	}
	var add [4]uint32
	if flag != "" {
		if add, err = tx.UserFlagBits([]string{flag}, mailbox.FlagCreateAny); err != nil {
			tx.Abort()
			return tool.Exit(sysexits.Software)
		}
	}
	pairs, err := tx.Unexpunge(func(r *index.Record) bool {
		switch mode {
		case modeUID:
			return want(r.UID)
		case modeTime:
			return int64(r.LastUpdated) >= since
		}
		return true
	}, ctx.Bool("d"), add)
	if err == nil {
		err = tx.Commit()
	} else {
		tx.Abort()
	}
	if err != nil {
		log.Error("unexpunge", "mailbox", intname, "error", err.Error())
		return tool.Exit(exitCode(err))
	}
	if ctx.Bool("v") {
		for _, p := range pairs {
			fmt.Fprintf(stdout, "Unexpunged %s: %d => %d\n", ext, p[0], p[1])
		}
	}
	fmt.Fprintf(stdout, "restored %d expunged messages\n", len(pairs))
	log.Info("restored expunged messages", "count", len(pairs), "mailbox", ext)
	return nil
}

// exitCode is what Cyrus's exit(r) gives for an IMAP error code r: its
// low byte (the codes of imap_err.et).
func exitCode(err error) int {
	switch {
	case errors.Is(err, mboxlist.ErrNotFound), errors.Is(err, mailbox.ErrNotFound):
		return 20 // IMAP_MAILBOX_NONEXISTENT
	case errors.Is(err, mboxlist.ErrReserved):
		return 25 // IMAP_MAILBOX_RESERVED
	case errors.Is(err, mailbox.ErrCorrupt):
		return 14 // IMAP_MAILBOX_BADFORMAT
	case errors.Is(err, mboxlist.ErrPartition):
		// a partition imapd.conf does not name: Cyrus finds no path
		return 22 // IMAP_MAILBOX_BADNAME
	}
	return 5 // IMAP_IOERROR
}

// cyrusMessage is the text -l prints for an open failure: Cyrus's
// error_message of the code where Gyrus's error text differs.
func cyrusMessage(err error) string {
	if errors.Is(err, mboxlist.ErrPartition) {
		return "Invalid mailbox name"
	}
	return err.Error()
}

func open(env *reconstruct.Env, name string) (*mailbox.Mailbox, error) {
	e, err := env.List.Lookup(name)
	if err != nil {
		return nil, err
	}
	loc, err := env.List.Settings().Locate(e)
	if err != nil {
		return nil, err
	}
	return mailbox.Open(loc, env.Mailbox, mailbox.ReadWrite)
}

// ctime is C's ctime(3): "Wed Jun 30 21:49:08 1993\n", local time.
func ctime(t uint32) string {
	return time.Unix(int64(t), 0).Format("Mon Jan _2 15:04:05 2006") + "\n"
}

// list prints the expunged messages whose files are still there (-l).
// The records are read first and printed after, as Cyrus does.
func list(w io.Writer, mb *mailbox.Mailbox, want func(uint32) bool) error {
	var recs []index.Record
	err := mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if r.Unlinked() || !r.Expunged() || !want(r.UID) {
			return nil
		}
		recs = append(recs, *r)
		return nil
	})
	if err != nil {
		return err
	}
	for i := range recs {
		r := &recs[i]
		fmt.Fprintf(w, "UID: %d\n", r.UID)
		fmt.Fprintf(w, "\tSize: %d\n", r.Size)
		fmt.Fprintf(w, "\tSent: %s", ctime(r.SentDate))
		fmt.Fprintf(w, "\tRecv: %s", ctime(r.InternalDate))
		fmt.Fprintf(w, "\tExpg: %s", ctime(r.LastUpdated))
		printCache(w, mb, r)
	}
	return nil
}

// printCache prints the search-form address and subject items, or says
// the cache entry is unusable (shared with ipurge's layout).
func printCache(w io.Writer, mb *mailbox.Mailbox, r *index.Record) {
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
