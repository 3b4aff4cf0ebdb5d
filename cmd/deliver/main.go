// Command deliver hands a message from the MTA to lmtpd, as Cyrus
// 3.6.1's deliver(8) does (spec/tools.md §2.1): it reads the message on
// standard input and delivers it over LMTP on the lmtpsocket UNIX
// socket, to the INBOX of each userid (or to -m mailbox), and exits with
// the status an MTA understands: 0 delivered, 75 (EX_TEMPFAIL) if any
// recipient failed temporarily, 67 (EX_NOUSER) if those that failed for
// good are unknown users, else 65 (EX_DATAERR) if one failed for good
// (one "userid: reason" line on standard output each), 78 (EX_CONFIG)
// when lmtpd cannot be reached, 64 (EX_USAGE) for a bad command line.
// With -l it relays an LMTP session between its standard input and
// output and lmtpd.
//
//	deliver [-C file] [-d] [-r addr | -f addr] [-m mailbox] [-a authid] [-q] [-D] [userid...]
//	deliver [-C file] -l
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"gyrus/lib/deliver"
	"gyrus/lib/deliver/lmtp"
	"gyrus/lib/log"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
	"gyrus/lib/version"
)

func main() {
	tool.Main(program(os.Stdin, os.Stdout, os.Stderr, os.Args))
}

func usageText() string {
	return "421-4.3.0 usage: deliver [-C <alt_config> ] [-m mailbox] [-a auth] [-r return_path] [-l] [-D]\r\n" +
		"421 4.3.0 " + version.String() + "\n"
}

// program is the command line, separate from main for the tests.
func program(stdin io.Reader, stdout, stderr io.Writer, argv []string) tool.Program {
	return tool.Program{
		Name:           "deliver",
		Usage:          "deliver a message to mailboxes through lmtpd",
		ArgsUsage:      "[-d] [-r addr] [-m mailbox] [-a authid] [-q] [userid...]",
		UsageText:      usageText(),
		UsageExit:      sysexits.Usage,
		NeedPartitions: true,
		LazyInit:       true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "d", Usage: "ignored (compatibility with /bin/mail)"},
			&cli.StringSliceFlag{Name: "r", Usage: "envelope sender `address` (Return-Path)"},
			&cli.StringSliceFlag{Name: "f", Usage: "same as -r"},
			&cli.StringSliceFlag{Name: "m", Usage: "deliver to this `mailbox` (below each user's INBOX when userids are given)"},
			&cli.StringSliceFlag{Name: "a", Usage: "authorization `id` of the sender (default anonymous)"},
			&cli.BoolFlag{Name: "q", Usage: "deliver even when the mailbox is over quota"},
			&cli.BoolFlag{Name: "l", Usage: "relay an LMTP session on standard input and output"},
			&cli.BoolFlag{Name: "D", Usage: "debug logging"},
			&cli.BoolFlag{Name: "e", Usage: "ignored (duplicate delivery elimination is lmtpd's)"},
			&cli.StringFlag{Name: "F", Usage: "removed: setting IMAP flags is no longer supported"},
			&cli.StringFlag{Name: "E", Usage: "removed: expiring the duplicate database is cyr_expire -E"},
		},
		Action: func(ctx *tool.Context) error { return run(ctx, stdin, stdout, stderr, argv) },
	}
}

func run(ctx *tool.Context, stdin io.Reader, stdout, stderr io.Writer, argv []string) error {
	for _, o := range []string{"F", "E"} {
		if ctx.IsSet(o) {
			fmt.Fprintf(stderr, "deliver: '%s' option no longer supported\n", o)
			return tool.Usage("")
		}
	}
	if len(ctx.StringSlice("m")) > 1 {
		fmt.Fprintf(stderr, "deliver: multiple -m options\n")
		return tool.Usage("")
	}
	if len(ctx.StringSlice("a")) > 1 {
		fmt.Fprintf(stderr, "deliver: multiple -a options\n")
		return tool.Usage("")
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	sock := ctx.Config.Lmtpsocket()
	if sock == "" {
		sock = filepath.Join(ctx.Config.Configdirectory(), "socket", "lmtp")
	}
	if ctx.Bool("l") {
		return relay(sock, stdin, stdout, stderr)
	}
	mailbox := ""
	if m := ctx.StringSlice("m"); len(m) == 1 {
		mailbox = m[0]
	}
	users := ctx.Args().Slice()
	if len(users) == 0 && mailbox == "" {
		return tool.Usage("")
	}
	from, ok := returnPath(argv)
	if !ok {
		if u, err := user.Current(); err == nil {
			from = u.Username
		}
	}
	auth := ""
	if a := ctx.StringSlice("a"); len(a) == 1 {
		auth = a[0]
	}
	t := &lmtp.Txn{From: from, Auth: auth, Data: stdin}
	q := ctx.Bool("q")
	if len(users) == 0 {
		t.Rcpts = append(t.Rcpts, &lmtp.Rcpt{Addr: ctx.Config.Postuser() + "+" + mailbox, IgnoreQuota: q})
	}
	for _, u := range users {
		addr := u
		if mailbox != "" {
			local, domain, hasDomain := strings.Cut(u, "@")
			addr = local + "+" + mailbox
			if hasDomain {
				addr += "@" + domain
			}
		}
		t.Rcpts = append(t.Rcpts, &lmtp.Rcpt{Addr: addr, IgnoreQuota: q})
	}
	c, err := lmtp.Dial("unix", sock, "deliver")
	if err != nil {
		return cannotConnect(stdout, stderr, "couldn't connect to lmtpd", err)
	}
	if err := c.Run(t); err != nil {
		log.Debug("lmtp transaction failed", "error", err)
	}
	c.Close()
	code := exitCode(t.Rcpts)
	for _, r := range t.Rcpts {
		if r.Result == lmtp.PermFail {
			fmt.Fprintf(stdout, "%s: %s\n", r.Addr, r.Code.Text())
		}
	}
	if code != 0 {
		return tool.Exit(code)
	}
	return nil
}

// exitCode is the status for the MTA: 75 (EX_TEMPFAIL) if a recipient
// failed temporarily, so that it tries again; else, if some failed for
// good, 67 (EX_NOUSER) when each of those is an unknown user (550 5.1.1)
// and 65 (EX_DATAERR) otherwise; 0 when all were delivered. Cyrus 3.6.1
// answers 65 for an unknown user too; an MTA bounces on both, and 67
// lets it say "user unknown".
func exitCode(rcpts []*lmtp.Rcpt) int {
	code := 0
	for _, r := range rcpts {
		switch r.Result {
		case lmtp.TempFail:
			return sysexits.TempFail
		case lmtp.PermFail:
			if r.Code == deliver.CodeMailboxNonexistent && code != sysexits.DataErr {
				code = sysexits.NoUser
			} else {
				code = sysexits.DataErr
			}
		}
	}
	return code
}

// returnPath is the last -r or -f (Cyrus's getopt keeps the last one);
// ok false when there is none.
func returnPath(argv []string) (rp string, ok bool) {
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			if strings.IndexByte("Cmar fFE", c) >= 0 && c != ' ' {
				val := a[j+1:]
				if val == "" && i+1 < len(argv) {
					i++
					val = argv[i]
				}
				if c == 'r' || c == 'f' {
					rp, ok = val, true
				}
				break
			}
		}
	}
	return rp, ok
}

// cannotConnect is Cyrus's just_exit: the reason on standard error, the
// fatal LMTP line on standard output, EX_CONFIG.
func cannotConnect(stdout, stderr io.Writer, msg string, err error) error {
	reason := err.Error()
	var oe *net.OpError
	if e, ok := err.(*net.OpError); ok {
		oe = e
		reason = oe.Err.Error()
	}
	fmt.Fprintf(stderr, "%s: %s\n", msg, reason)
	fmt.Fprintf(stdout, "421 4.3.0 deliver: %s\r\n", msg)
	return tool.Exit(sysexits.Config)
}

// relay is deliver -l: bytes both ways between standard input/output
// and lmtpd until lmtpd closes the connection (Cyrus pipe_through).
func relay(sock string, stdin io.Reader, stdout, stderr io.Writer) error {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return cannotConnect(stdout, stderr, "connect failed", err)
	}
	defer conn.Close()
	go func() {
		io.Copy(conn, stdin)
		if uc, ok := conn.(*net.UnixConn); ok {
			uc.CloseWrite()
		}
	}()
	io.Copy(stdout, conn)
	return nil
}
