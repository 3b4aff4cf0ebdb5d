// Command cyr_deny keeps the list of users denied access to services, as
// Cyrus 3.6.1's cyr_deny(8) does (spec/tools.md §3.8):
//
//	cyr_deny [-C file] [-s services] [-m message] user
//	cyr_deny [-C file] -a user
//	cyr_deny [-C file] -l
//
// Denying a user also ends the processes serving that user, found through
// the proc files (Cyrus does the same; like Cyrus it cannot tell which
// service a process serves, so all of the user's processes go).
package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"gyrus/lib/log"
	"gyrus/lib/proc"
	"gyrus/lib/tool"
	"gyrus/lib/userdeny"
)

const usageText = "Usage: cyr_deny [-C <altconfig>] [ -s services ] [ -m message ] user\n" +
	"       cyr_deny [-C <altconfig>] -a user\n" +
	"       cyr_deny [-C <altconfig>] -l\n"

func main() {
	tool.Main(program())
}

// program is the command line, separate from main for the tests.
func program() tool.Program {
	return tool.Program{
		Name:      "cyr_deny",
		Usage:     "deny users access to services",
		ArgsUsage: "[-s services] [-m message] user | -a user | -l",
		UsageText: usageText,
		LazyInit:  true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "a", Usage: "allow the user again"},
			&cli.BoolFlag{Name: "l", Usage: "list denied users"},
			&cli.StringFlag{Name: "m", Usage: "message shown to the denied user"},
			&cli.StringFlag{Name: "s", Usage: "comma-separated wildmat patterns of service names (default *)"},
		},
		Action: run,
	}
}

func run(ctx *tool.Context) error {
	allow, list := ctx.Bool("a"), ctx.Bool("l")
	if allow && list {
		return tool.Usage("")
	}
	if (allow || list) && (ctx.IsSet("m") || ctx.IsSet("s")) {
		return tool.Usage("")
	}
	args := ctx.Args().Slice()
	if list && len(args) != 0 || !list && len(args) != 1 {
		return tool.Usage("")
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	path, backend := userdeny.PathFromConfig(ctx.Config)
	deny := !allow && !list
	db, err := userdeny.Open(path, backend, deny)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, userdeny.ErrNoDB) {
			msg = "No such file or directory"
		}
		fmt.Fprintf(os.Stderr, "cyr_deny: failed to open deny db: %s\n", msg)
		return tool.Exit(1)
	}
	defer db.Close()
	switch {
	case allow:
		if err := db.Delete(args[0]); err != nil {
			fmt.Fprintf(os.Stderr, "cyr_deny: failed to allow access for %s: %v\n", args[0], err)
			return tool.Exit(1)
		}
	case list:
		fmt.Printf("%-30s %-20s %s\n", "Username", "Service(s)", "Message")
		err := db.Foreach(func(e userdeny.Entry) error {
			fmt.Printf("%-30s %-20s %s\n", e.User, e.Services, e.Message)
			return nil
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "cyr_deny: failed to list entries: %v\n", err)
			return tool.Exit(1)
		}
	default:
		if err := db.Set(args[0], ctx.String("s"), ctx.String("m")); err != nil {
			fmt.Fprintf(os.Stderr, "cyr_deny: failed to deny access for %s: %v\n", args[0], err)
			return tool.Exit(1)
		}
		if dir, err := proc.Dir(ctx.Config); err == nil {
			killUser(dir, args[0])
		}
	}
	return nil
}

// killUser ends the processes with a session of user: SIGTERM, then
// probing with growing delays, then SIGKILL (Cyrus kill_existing_services).
func killUser(dir, user string) {
	ents, err := proc.List(dir)
	if err != nil {
		return
	}
	seen := map[int]bool{}
	var pids []int
	for _, e := range ents {
		if e.User == user && !seen[e.PID] && e.PID != os.Getpid() {
			seen[e.PID] = true
			pids = append(pids, e.PID)
		}
	}
	delay, prejudice, probing := time.Second, 0, false
	for len(pids) > 0 {
		sig := syscall.SIGTERM
		if prejudice > 0 {
			sig = syscall.SIGKILL
		}
		var left []int
		for _, pid := range pids {
			var err error
			if probing {
				err = syscall.Kill(pid, 0)
			} else {
				err = syscall.Kill(pid, sig)
			}
			if err == nil {
				left = append(left, pid)
			}
		}
		pids = left
		if len(pids) == 0 {
			break
		}
		probing = true
		time.Sleep(delay)
		delay *= 2
		if delay > 8*time.Second {
			if prejudice > 0 {
				log.Error("cannot kill some processes even with SIGKILL", "user", user)
				break
			}
			prejudice++
			delay, probing = time.Second, false
		}
	}
}
