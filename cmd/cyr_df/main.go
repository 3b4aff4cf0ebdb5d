// Command cyr_df reports the disk usage of the mail partitions, as Cyrus
// 3.6.1's cyr_df(8) does (spec/tools.md §3.9):
//
//	cyr_df [-C file] [-m]
package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"gyrus/lib/tool"
)

func main() {
	tool.Main(program(os.Stdout))
}

// program is the command line, separate from main for the tests.
func program(stdout io.Writer) tool.Program {
	return tool.Program{
		Name:      "cyr_df",
		Usage:     "report the disk usage of the mail partitions",
		ArgsUsage: "[-m]",
		UsageText: "usage: cyr_df [-C <alt_config>] [-m]\n",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "m", Usage: "report the metadata partitions"}},
		Action: func(ctx *tool.Context) error {
			if ctx.Args().Len() > 0 {
				return tool.Usage("")
			}
			parts := ctx.Config.Partitions()
			if ctx.Bool("m") {
				parts = ctx.Config.MetaPartitions()
			}
			report(stdout, parts)
			return nil
		},
	}
}

// usage is what statvfs(2) says of one file system, in KiB, and the
// percentage of the space usable by users that is used (rounded).
type usage struct {
	total, used, avail, percent int64
}

func stat(path string) (usage, bool) {
	var s unix.Statfs_t
	if err := unix.Statfs(path, &s); err != nil {
		return usage{}, false
	}
	frag := float64(s.Frsize) / 1024.0
	usedBlocks := int64(s.Blocks - s.Bfree)
	u := usage{
		total: int64(float64(s.Blocks) * frag),
		used:  int64(float64(usedBlocks) * frag),
		avail: int64(float64(s.Bavail) * frag),
	}
	if d := float64(usedBlocks) + float64(s.Bavail); d > 0 {
		u.percent = int64(float64(usedBlocks)*100.0/d + 0.5)
	}
	return u, true
}

// report prints the table. Cyrus walks its config hash table, whose
// order is not defined; Gyrus prints the partitions by name.
func report(w io.Writer, parts map[string]string) {
	fmt.Fprintf(w, "%-12s %12s %12s %12s %3s %s\n", "Partition", "1k-blocks", "Used", "Available", "Use%", "Location")
	names := make([]string, 0, len(parts))
	for n := range parts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		u, ok := stat(parts[n])
		if !ok {
			continue // a partition that cannot be looked at is left out
		}
		fmt.Fprintf(w, "%-12s %12d %12d %12d %3d%% %s\n", n, u.total, u.used, u.avail, u.percent, parts[n])
	}
}
