package tool

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"gyrus/lib/config"
	"gyrus/lib/log"
	"gyrus/lib/sysexits"
)

func init() {
	// Cyrus programs have no -h; several use -h for something else.
	cli.HelpFlag = &cli.BoolFlag{Name: "help", Usage: "show help"}
}

// Program describes one Gyrus program for Main.
type Program struct {
	// Name is the program name: argv[0] of its man page and, for tools,
	// the imapd.conf ident.
	Name string
	// Usage is the one-line summary shown by --help.
	Usage string
	// ArgsUsage is the synopsis after the name, e.g. "[-C file] [-m]".
	ArgsUsage string
	// UsageText, when set, is what a usage error prints on stderr
	// (Cyrus's usage() text); otherwise "usage: Name ArgsUsage".
	UsageText string
	// UsageExit is the exit status of a usage error; 0 means EX_USAGE.
	// Several Cyrus tools use 255 (exit(-1)): sysexits.Minus1.
	UsageExit int
	// Flags are the program's own flags; -C is added to them.
	Flags []cli.Flag
	// Service: the ident is $CYRUS_SERVICE (the cyrus.conf entry name),
	// or Name when that is unset (running outside master).
	Service bool
	// Ident, when set, chooses the ident after the flags are parsed
	// (cyr_info -n). It wins over Service and Name.
	Ident func(*cli.Context) string
	// NeedPartitions makes a missing partition a config error.
	NeedPartitions bool
	// NoConfig: -C is accepted and ignored; no imapd.conf is read and no
	// privilege switch happens (cyr_buildinfo).
	NoConfig bool
	// LazyInit: Action runs first and must call ctx.Init() before it
	// touches ctx.Config (for commands that need no config, like
	// `cyr_info version`).
	LazyInit bool
	// Foreground, when it returns true, copies log lines to stderr.
	Foreground func(*cli.Context) bool
	// NoPermute stops flag parsing at the first operand (POSIX getopt)
	// instead of GNU getopt's permutation that Cyrus gets on Linux.
	NoPermute bool
	// Action is the program.
	Action func(*Context) error
}

// Context is what Action gets: the parsed command line and the config.
type Context struct {
	*cli.Context
	// Config is imapd.conf as this program sees it; nil before Init and
	// for NoConfig programs.
	Config *config.Config
	// Ident is the imapd.conf and syslog ident (set by Init).
	Ident string

	prog   *Program
	inited bool
	stderr io.Writer
}

// Main runs the program and exits with its status.
func Main(p Program) {
	os.Exit(Run(p, os.Args))
}

// exitError carries an exit status out of Action.
type exitError struct {
	code  int
	msg   string
	usage bool
}

func (e *exitError) Error() string { return e.msg }

// Fatal ends the program with "fatal error: <msg>" on stderr and the given
// exit status, as Cyrus's fatal() does in command-line tools.
func Fatal(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

// Exit ends the program silently with the given status.
func Exit(code int) error { return &exitError{code: code} }

// Usage ends the program with msg (if any) and the usage text on stderr,
// and Program.UsageExit as status.
func Usage(msg string) error { return &exitError{usage: true, msg: msg} }

// Run is Main without the exit: it returns the exit status.
func Run(p Program, args []string) int {
	return run(&p, args, os.Stdout, os.Stderr)
}

func run(p *Program, args []string, stdout, stderr io.Writer) int {
	if p.UsageExit == 0 {
		p.UsageExit = sysexits.Usage
	}
	cUsage := "read `FILE` instead of " + config.DefaultPath
	if p.NoConfig {
		cUsage = "accepted and ignored"
	}
	flags := append([]cli.Flag{&cli.StringFlag{Name: "C", Usage: cUsage}}, p.Flags...)

	// getopt names the program as it was invoked (argv[0]).
	invoked := p.Name
	if len(args) > 0 && args[0] != "" {
		invoked = args[0]
	}
	var ctx *Context
	app := &cli.App{
		Name:            p.Name,
		Usage:           p.Usage,
		ArgsUsage:       p.ArgsUsage,
		Flags:           flags,
		HideHelpCommand: true,
		HideVersion:     true,
		Writer:          stdout,
		ErrWriter:       stderr,
		ExitErrHandler:  func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &exitError{usage: true, msg: getoptMessage(invoked, err)}
		},
		Action: func(cc *cli.Context) error {
			ctx = &Context{Context: cc, prog: p, stderr: stderr}
			if !p.LazyInit {
				if err := ctx.Init(); err != nil {
					return err
				}
			}
			return p.Action(ctx)
		},
	}
	argv := []string{p.Name}
	var err error
	if len(args) > 1 {
		norm, missing := normalize(args[1:], flags, !p.NoPermute)
		argv = append(argv, norm...)
		if missing != "" {
			err = &exitError{usage: true, msg: fmt.Sprintf("%s: option requires an argument -- '%s'", invoked, missing)}
		}
	}
	if err == nil {
		err = app.Run(argv)
	}
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.usage:
		if ee.msg != "" {
			fmt.Fprintln(stderr, ee.msg)
		}
		fmt.Fprint(stderr, usageText(p))
		return p.UsageExit
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintf(stderr, "fatal error: %s\n", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "fatal error: %v\n", err)
	return 1
}

func usageText(p *Program) string {
	if p.UsageText != "" {
		return p.UsageText
	}
	return "usage: " + p.Name + " " + p.ArgsUsage + "\n"
}

// getoptMessage words flag errors as glibc getopt does.
func getoptMessage(name string, err error) string {
	msg := err.Error()
	if msg == "flag: help requested" { // Go's flag package on an undefined -h
		return fmt.Sprintf("%s: invalid option -- 'h'", name)
	}
	if f, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		f = strings.TrimPrefix(f, "-")
		if len(f) == 1 {
			return fmt.Sprintf("%s: invalid option -- '%s'", name, f)
		}
		return fmt.Sprintf("%s: unrecognized option '--%s'", name, f)
	}
	if f, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		f = strings.TrimPrefix(f, "-")
		return fmt.Sprintf("%s: option requires an argument -- '%s'", name, f)
	}
	return name + ": " + msg
}

// Init does the start-up work described in the package comment. Main
// calls it before Action unless Program.LazyInit; calling it again does
// nothing.
func (ctx *Context) Init() error {
	if ctx.inited {
		return nil
	}
	ctx.inited = true
	p := ctx.prog
	ensureStdFDs()

	ctx.Ident = p.Name
	if p.Service {
		if s := os.Getenv("CYRUS_SERVICE"); s != "" {
			ctx.Ident = s
		}
	}
	if p.Ident != nil {
		if s := p.Ident(ctx.Context); s != "" {
			ctx.Ident = s
		}
	}
	fg := p.Foreground != nil && p.Foreground(ctx.Context)
	// Until the config is read, log with the bare ident (and the
	// $CYRUS_SYSLOG_PREFIX), so config errors reach syslog too.
	log.Setup(log.Options{Ident: ctx.Ident, Foreground: fg, Stderr: ctx.stderr})
	if p.NoConfig {
		return nil
	}

	c, err := config.Load(ctx.String("C"), ctx.Ident)
	if err == nil && p.NeedPartitions {
		err = c.RequirePartitions()
	}
	if err != nil {
		log.Error("config_error", "error", err)
		return Fatal(sysexits.Config, "%v", err)
	}
	if err := becomeCyrus(c); err != nil {
		log.Error("setuid_failed", "error", err)
		return Fatal(sysexits.Usage, "must run as the Cyrus user")
	}
	o := log.FromConfig(c, fg)
	o.Stderr = ctx.stderr
	log.Setup(o)
	for _, n := range c.Notices() {
		event, kv := n.LogArgs()
		switch n.Kind {
		case config.Unimplemented:
			log.Notice(event, kv...)
		default:
			log.Warn(event, kv...)
		}
	}
	syscall.Umask(parseUmask(c.Umask()))
	ctx.Config = c
	return nil
}

// parseUmask reads the umask option as Cyrus does: the octal digits of
// the value, anything else skipped.
func parseUmask(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '7' {
			v = v*8 + int(s[i]-'0')
		}
	}
	return v & 0o777
}

// ensureStdFDs opens /dev/null until it gets a descriptor above 2, so
// that 0, 1 and 2 are never free for files the program opens later.
func ensureStdFDs() {
	for {
		fd, err := syscall.Open("/dev/null", syscall.O_RDWR, 0)
		if err != nil {
			return
		}
		if fd > 2 {
			syscall.Close(fd)
			return
		}
	}
}
