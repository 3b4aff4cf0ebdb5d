// Command cyr_dbtool reads and changes any cyrusdb database file, as
// Cyrus 3.6.1's cyr_dbtool(8) does (spec/tools.md §4.2):
//
//	cyr_dbtool [-C file] [-M] [-n] [-c] [-t | -T] <db-file> <backend> <action> [key] [value]
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"gyrus/lib/config"
	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

func usageText() string {
	var b strings.Builder
	b.WriteString("Usage: " + os.Args[0] + " [-C altconfig] <db file> <db backend> <action> [<key>] [<value>]\n")
	b.WriteString("Usable Backends")
	sep := ":"
	for _, n := range cyrusdb.Backends() {
		b.WriteString(sep + " " + n)
		sep = ","
	}
	b.WriteString("\n\nActions:\n")
	b.WriteString("* show [<prefix>]\n* get <key>\n* set <key> <value>\n* delete <key>\n")
	b.WriteString("* dump - internal format dump\n* consistent - check consistency\n")
	b.WriteString("* repack - repack/checkpoint the DB (if supported)\n")
	b.WriteString("* damage - start a commit then die during\n")
	b.WriteString("* batch - read from stdin and execute commands\n")
	b.WriteString("You may omit key or key/value and specify one per line on stdin\n")
	b.WriteString("keys are terminated by tab or newline, values are terminated by newline\n")
	return b.String()
}

const relativeMsg = "\nSorry, you cannot use this tool with relative path names.\n" +
	"This is because some database backends do not\n" +
	"always do what you would expect with them.\n" +
	"\nPlease use absolute pathnames instead.\n\n"

func main() {
	tool.Main(tool.Program{
		Name:      "cyr_dbtool",
		Usage:     "read and change a cyrusdb database",
		ArgsUsage: "[-M] [-n] [-c] [-t|-T] <db-file> <backend> <action> [key] [value]",
		UsageText: usageText(),
		UsageExit: sysexits.Minus1,
		LazyInit:  true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "M", Usage: "use mailbox sort order"},
			&cli.BoolFlag{Name: "n", Usage: "create the database if missing"},
			&cli.BoolFlag{Name: "c", Usage: "convert the file to <backend> if it is in another format"},
			&cli.BoolFlag{Name: "T", Usage: "run the whole action in one transaction"},
			&cli.BoolFlag{Name: "t", Usage: "no transaction (the default; accepted for old scripts)"},
		},
		Action: run,
	})
}

func run(ctx *tool.Context) error {
	args := ctx.Args().Slice()
	if len(args) < 3 {
		return tool.Usage("")
	}
	fname, backend, action := args[0], args[1], args[2]
	if !strings.HasPrefix(fname, "/") {
		fmt.Print(relativeMsg)
		return tool.Exit(sysexits.OSErr)
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	if _, err := cyrusdb.Lookup(backend); err != nil {
		return tool.Fatal(sysexits.Config, "%v", err)
	}
	var flags cyrusdb.Flags
	if ctx.Bool("c") {
		flags |= cyrusdb.Convert
	}
	if ctx.Bool("M") {
		flags |= cyrusdb.MboxSort
	}
	if ctx.Bool("n") {
		flags |= cyrusdb.Create
	}
	db, err := cyrusdb.OpenWith(fname, backend, OptionsFrom(ctx.Config, flags))
	if err != nil {
		return tool.Fatal(sysexits.TempFail, "can't open database")
	}
	defer db.Close()

	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var tx *cyrusdb.Tx
	if ctx.Bool("T") {
		if tx, err = db.Begin(); err != nil {
			return tool.Fatal(sysexits.TempFail, "can't open database")
		}
	}
	ops := dbOps{db: db, tx: tx}
	rest := args[3:]
	switch action {
	case "get", "set", "delete":
		each := func(key, val []byte) {
			switch action {
			case "get":
				v, _ := ops.fetch(key)
				out.Write(v)
				out.WriteByte('\n')
			case "set":
				ops.store(key, val)
			case "delete":
				ops.del(key)
			}
		}
		if len(rest) == 0 {
			in := bufio.NewReader(os.Stdin)
			for {
				key, val, ok := readKeyValue(in)
				if !ok {
					break
				}
				each(key, val)
			}
		} else {
			var val []byte
			if action == "set" {
				if len(rest) < 2 {
					// Cyrus reads past argv here; we treat it as empty.
					val = []byte{}
				} else {
					val = []byte(rest[1])
				}
			}
			each([]byte(rest[0]), val)
		}
	case "batch":
		out.Flush()
		batch(db, os.Stdin, os.Stdout, os.Stderr)
	case "show":
		var prefix []byte
		if len(rest) > 0 {
			prefix = []byte(rest[0])
		}
		ops.foreach(prefix, func(k, v []byte) error {
			out.Write(k)
			out.WriteByte('\t')
			out.Write(v)
			out.WriteByte('\n')
			return nil
		})
	case "consistency":
		if db.Consistent() != nil {
			fmt.Fprintf(out, "Consistency Error for %s\n", fname)
		}
	case "dump":
		level := 1
		if len(rest) > 0 {
			level, _ = strconv.Atoi(rest[0])
		}
		out.Flush()
		db.Dump(os.Stdout, level)
	case "consistent":
		if db.Consistent() != nil {
			fmt.Fprintf(out, "No, not consistent\n")
		} else {
			fmt.Fprintf(out, "Yes, consistent\n")
		}
	case "repack":
		if db.Repack() != nil {
			fmt.Fprintf(out, "Failed to repack\n")
		}
	case "damage":
		// Start a write, then die in the middle of the transaction, as
		// Cyrus does (it fails an assertion): the next opener recovers.
		if tx == nil {
			if tx, err = db.Begin(); err != nil {
				return tool.Fatal(sysexits.TempFail, "can't open database")
			}
		}
		tx.Store([]byte("INVALID"), []byte("CRASHME"))
		out.Flush()
		signal.Reset(syscall.SIGABRT)
		syscall.Kill(os.Getpid(), syscall.SIGABRT)
		select {}
	default:
		fmt.Fprintf(out, "Unknown action %s\n", action)
	}
	if tx != nil {
		tx.Commit()
	}
	return nil
}

// OptionsFrom builds the cyrusdb options that imapd.conf decides.
func OptionsFrom(c *config.Config, flags cyrusdb.Flags) cyrusdb.Options {
	o := cyrusdb.Options{Flags: flags}
	if c != nil {
		o.FullDirHash = c.Fulldirhash()
		o.VirtDomains = c.Virtdomains() != "" && c.Virtdomains() != config.VirtdomainsOff
	}
	return o
}

// dbOps runs each operation in the -T transaction, or on its own.
type dbOps struct {
	db *cyrusdb.DB
	tx *cyrusdb.Tx
}

func (o dbOps) fetch(k []byte) ([]byte, error) {
	if o.tx != nil {
		return o.tx.Fetch(k)
	}
	return o.db.Fetch(k)
}

func (o dbOps) store(k, v []byte) error {
	if o.tx != nil {
		return o.tx.Store(k, v)
	}
	return o.db.Store(k, v)
}

func (o dbOps) del(k []byte) error {
	if o.tx != nil {
		return o.tx.Delete(k)
	}
	return o.db.Delete(k)
}

func (o dbOps) foreach(p []byte, fn func(k, v []byte) error) error {
	if o.tx != nil {
		return o.tx.Foreach(p, fn)
	}
	return o.db.Foreach(p, fn)
}

// readKeyValue reads one "key TAB value LF" (or "key LF") line of the
// get/set/delete stdin form. ok is false at EOF when no key was read.
func readKeyValue(in *bufio.Reader) (key, val []byte, ok bool) {
	inKey := true
	key, val = []byte{}, []byte{}
	for {
		c, err := in.ReadByte()
		if err != nil || c == '\n' {
			break
		}
		if c == '\t' && inKey {
			inKey = false
			continue
		}
		if inKey {
			key = append(key, c)
			ok = true
		} else {
			val = append(val, c)
		}
	}
	return key, val, ok
}
