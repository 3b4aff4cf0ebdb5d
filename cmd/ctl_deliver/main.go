// Command ctl_deliver dumps the duplicate delivery database, as Cyrus
// 3.6.1's ctl_deliver(8) does (spec/tools.md §2.2):
//
//	ctl_deliver [-C file] -d [-f dbfile]
//	ctl_deliver [-C file] -E days      (deprecated: runs cyr_expire -E)
//
// The dump is "it is NOW: <time>", one line per record in Cyrus's format
// (lib/duplicate.DumpLine), and "got <n> entries".
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"gyrus/lib/duplicate"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

const usageText = "ctl_deliver [-C <altconfig>] -d [-f <dbfile>]\n"

func main() {
	tool.Main(program(os.Stdout, os.Stderr))
}

// program is the command line, separate from main for the tests.
func program(stdout, stderr io.Writer) tool.Program {
	return tool.Program{
		Name:      "ctl_deliver",
		Usage:     "dump the duplicate delivery database",
		ArgsUsage: "-d [-f dbfile]",
		UsageText: usageText,
		UsageExit: sysexits.Minus1,
		LazyInit:  true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "d", Usage: "dump every record to standard output", Count: new(int)},
			&cli.StringSliceFlag{Name: "f", Usage: "database `file` instead of duplicate_db_path"},
			&cli.StringSliceFlag{Name: "E", Usage: "deprecated: expire records older than `days` (runs cyr_expire -E)"},
			// Cyrus's getopt string has -r without a handler: it is a
			// usage error there too.
			&cli.BoolFlag{Name: "r", Hidden: true},
		},
		Action: func(ctx *tool.Context) error { return run(ctx, stdout, stderr) },
	}
}

func run(ctx *tool.Context, stdout, stderr io.Writer) error {
	dumps := ctx.Count("d")
	expire := ctx.StringSlice("E")
	files := ctx.StringSlice("f")
	if ctx.Bool("r") || len(files) > 1 || dumps+len(expire) != 1 || ctx.Args().Len() > 0 {
		return tool.Usage("")
	}
	if len(expire) == 1 {
		return expireViaCyrExpire(ctx, expire[0], stderr)
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	path, backend := duplicate.PathFromConfig(ctx.Config)
	if len(files) == 1 {
		path = files[0]
	}
	db, err := duplicate.Open(path, backend)
	if err != nil {
		fmt.Fprintf(stderr, "ctl_deliver: unable to init duplicate delivery database\n")
		return tool.Exit(1)
	}
	defer db.Close()
	fmt.Fprintf(stdout, "it is NOW: %d\n", int32(time.Now().Unix()))
	n, err := db.Dump(stdout)
	if err != nil {
		return tool.Fatal(sysexits.IOErr, "dump %s: %v", path, err)
	}
	fmt.Fprintf(stdout, "got %d entries\n", n)
	return nil
}

// expireViaCyrExpire is the deprecated -E: like Cyrus it says so and
// runs cyr_expire -E days (with -C when given), from the directory
// ctl_deliver is installed in.
func expireViaCyrExpire(ctx *tool.Context, days string, stderr io.Writer) error {
	fmt.Fprintf(stderr, "ctl_deliver -E is deprecated: using cyr_expire -E instead\n")
	self, err := os.Executable()
	if err != nil {
		return tool.Fatal(sysexits.OSErr, "cannot find cyr_expire: %v", err)
	}
	prog := filepath.Join(filepath.Dir(self), "cyr_expire")
	args := []string{prog}
	if c := ctx.String("C"); c != "" {
		args = append(args, "-C", c)
	}
	args = append(args, "-E", days)
	err = syscall.Exec(prog, args, os.Environ())
	if errors.Is(err, syscall.ENOENT) {
		if p, lerr := exec.LookPath("cyr_expire"); lerr == nil {
			args[0] = p
			err = syscall.Exec(p, args, os.Environ())
		}
	}
	return tool.Fatal(sysexits.OSErr, "cannot run %s: %v", prog, err)
}
