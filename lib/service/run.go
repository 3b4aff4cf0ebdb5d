package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"gyrus/lib/log"
	"gyrus/lib/proc"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

// Cyrus's defaults for -U and -T (master/service.h MAX_USE, REUSE_TIMEOUT).
const (
	DefaultMaxUses     = 250
	DefaultIdleTimeout = 60 // seconds
)

// Spec describes a service program.
type Spec struct {
	// Name is the program name (imapd): the service name and ident when
	// run without master, and the name in messages.
	Name string
	// Usage is the one-line summary for --help.
	Usage string
	// Flags are the program's own options; Run adds -C -U -T -D -X and
	// --listen.
	Flags []cli.Flag
	// Init runs once, after imapd.conf is read and before the first
	// session. An error ends the program: a tool.Fatal error with its
	// status, anything else with EX_CONFIG.
	Init func(env *Env) error
	// Serve runs one session and returns when it is over; Run closes
	// conn afterwards. ctx is cancelled when the process is told to shut
	// down (SIGTERM): the session should say goodbye and return.
	Serve func(ctx context.Context, conn net.Conn, s *Session)
	// ShutdownGrace is how long sessions may go on after SIGTERM before
	// their connections are closed; 0 means 10 seconds.
	ShutdownGrace time.Duration
}

// earlySignals receives SIGTERM, SIGINT and SIGHUP from the start of Main.
var earlySignals chan os.Signal

// Env is what a service process knows about itself.
type Env struct {
	*tool.Context // the command line, imapd.conf (Config) and the ident
	// Service is the cyrus.conf entry name ($CYRUS_SERVICE), which is
	// also the imapd.conf and syslog ident.
	Service string
	// ID is $CYRUS_ID: which of the entry's listening sockets this is.
	ID int
	// Standalone: started with --listen, without master.
	Standalone bool
	// Stdio: -X, one session on stdin/stdout.
	Stdio bool
	// ReverseLookups: look up the client's name for ClientHost. On by
	// default, as Cyrus always does it.
	ReverseLookups bool
	// ProcDir is where the proc files go.
	ProcDir string
}

// Run runs the service program and exits with its status.
func Run(spec Spec) {
	os.Exit(Main(spec, os.Args))
}

// Main is Run without the exit: it returns the exit status.
func Main(spec Spec, args []string) int {
	// Catch master's signals from the very start: a SIGHUP or SIGTERM
	// that arrives while we read the configuration must not kill us
	// with the default action; it is acted on once we serve.
	earlySignals = make(chan os.Signal, 4)
	signal.Notify(earlySignals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if bad := mergedOption(args[1:]); bad != "" {
		log.Error("options and arguments MUST be separated by whitespace", "argument", bad)
		fmt.Fprintf(os.Stderr, "%s: options and arguments MUST be separated by whitespace: %s\n", spec.Name, bad)
		return sysexits.Usage
	}
	flags := []cli.Flag{
		&cli.IntFlag{Name: "U", Usage: "exit after `uses` connections", Value: DefaultMaxUses},
		&cli.IntFlag{Name: "T", Usage: "exit after `seconds` (T to 2T) without a connection", Value: DefaultIdleTimeout},
		&cli.BoolFlag{Name: "D", Usage: "run debug_command before serving"},
		&cli.BoolFlag{Name: "X", Usage: "serve one session on stdin/stdout, without master"},
		&cli.StringFlag{Name: "listen", Usage: "run without master, listening on `address` (host:port, [v6]:port, /path)"},
	}
	flags = append(flags, spec.Flags...)
	return tool.Run(tool.Program{
		Name:      spec.Name,
		Usage:     spec.Usage,
		ArgsUsage: "[-C file] [-U uses] [-T timeout] [-D] [-X] [--listen address] [options]",
		Flags:     flags,
		Service:   true,
		LazyInit:  true,
		// Services write their log lines to stderr too: master's stderr,
		// which is a terminal with master -D, a file with -L and
		// /dev/null otherwise.
		Foreground: func(*cli.Context) bool { return true },
		Action:     func(ctx *tool.Context) error { return run(&spec, ctx) },
	}, args)
}

// mergedOption finds a generic option glued to its value or to another
// option ("-U30", "-DX"), which service.c refuses.
func mergedOption(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return ""
		case strings.HasPrefix(a, "--"):
			if a == "--listen" {
				i++
			}
		case len(a) > 2 && a[0] == '-' && strings.ContainsRune("CUTDX", rune(a[1])):
			return a
		case a == "-C" || a == "-U" || a == "-T":
			i++
		}
	}
	return ""
}

func run(spec *Spec, ctx *tool.Context) error {
	env := &Env{
		Context:        ctx,
		Standalone:     ctx.String("listen") != "",
		Stdio:          ctx.Bool("X"),
		ReverseLookups: true,
	}
	underMaster := !env.Standalone && !env.Stdio
	svc, idEnv := os.Getenv(EnvService), os.Getenv(EnvID)
	if underMaster && svc == "" {
		log.Error("could not getenv(CYRUS_SERVICE); exiting")
		return tool.Fatal(sysexits.Software, "could not getenv(CYRUS_SERVICE)")
	}
	if underMaster && idEnv == "" {
		log.Error("could not getenv(CYRUS_ID); exiting")
		return tool.Fatal(sysexits.Software, "could not getenv(CYRUS_ID)")
	}
	env.ID, _ = strconv.Atoi(idEnv)
	slotMode := underMaster && os.Getenv(EnvSlots) == "1"
	var l *link
	if underMaster {
		l = openLink(slotMode)
		syscall.CloseOnExec(ListenFD)
	}

	if err := ctx.Init(); err != nil {
		if l != nil {
			l.send(MsgUnavailable)
		}
		return err
	}
	env.Service = ctx.Ident
	if d, err := proc.Dir(ctx.Config); err == nil {
		env.ProcDir = d
	} else {
		return tool.Fatal(sysexits.Config, "%v", err)
	}
	if ctx.Bool("D") {
		runDebugger(ctx, env.Service)
	}
	log.Debug("executed")

	var ln net.Listener
	var err error
	switch {
	case env.Stdio:
	case env.Standalone:
		ln, err = listenStandalone(ctx.String("listen"))
	default:
		ln, err = inheritedListener()
	}
	if err != nil {
		if l != nil {
			l.send(MsgUnavailable)
		}
		return tool.Fatal(sysexits.OSErr, "%v", err)
	}

	if spec.Init != nil {
		if err := spec.Init(env); err != nil {
			if l != nil {
				l.send(MsgUnavailable)
			}
			var ec cli.ExitCoder
			if errors.As(err, &ec) {
				return err
			}
			return tool.Fatal(sysexits.Config, "%v", err)
		}
	}

	if env.Stdio {
		return serveStdio(spec, env)
	}

	granted := -1
	if slotMode {
		granted = 0
	}
	sl := newSlots(granted, l, slotMode)
	s := newServer(spec, env, ln, l, sl)
	// Cyrus counts uses after each connection and stops at >= -U, so
	// -U 0 (and a negative value, made 0) still serves one.
	s.maxUses = ctx.Int("U")
	if s.maxUses < 1 {
		s.maxUses = 1
	}
	s.idle = randomIdle(ctx.Int("T"))
	s.ka = keepaliveFrom(ctx.Config)
	s.proc = proc.Open(env.ProcDir, os.Getpid())
	defer s.proc.Close()
	if slotMode {
		l.send(MsgMultiHello)
		go l.readGrants(sl.grant, sl.revoke, func() { s.shutdown("master went away") })
	}
	s.serve()
	return nil
}

// inheritedListener takes over fd 4.
func inheritedListener() (net.Listener, error) {
	f := os.NewFile(ListenFD, "listener")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("listener on fd %d: %w (only stream sockets are supported)", ListenFD, err)
	}
	return ln, nil
}

// listenStandalone binds the --listen address: host:port, [v6]:port, or
// a UNIX socket path (replaced if it exists).
func listenStandalone(addr string) (net.Listener, error) {
	if strings.HasPrefix(addr, "/") {
		os.Remove(addr)
		return net.Listen("unix", addr)
	}
	return net.Listen("tcp", addr)
}

// runDebugger runs debug_command for -D: a printf format given the
// program, the pid and the service name (service.c).
func runDebugger(ctx *tool.Context, svc string) {
	cmd := ctx.Config.DebugCommand()
	if cmd == "" {
		return
	}
	line := cFormat(cmd, os.Args[0], os.Getpid(), svc)
	log.Debug("running external debugger", "command", line)
	err := exec.Command("/bin/sh", "-c", line).Run()
	log.Debug("debugger returned", "error", err)
}

// cFormat fills a C printf format whose conversions are %s, %d, %s in
// that order (the only use Cyrus documents), leaving anything else as
// written.
func cFormat(format string, args ...any) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		switch format[i] {
		case '%':
			b.WriteByte('%')
		case 's', 'd':
			if n < len(args) {
				fmt.Fprint(&b, args[n])
				n++
			}
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

// serveStdio is -X: one session on stdin/stdout, then exit.
func serveStdio(spec *Spec, env *Env) error {
	signal.Ignore(syscall.SIGPIPE)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := earlySignals
	if sigs == nil {
		sigs = make(chan os.Signal, 4)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	}
	go func() {
		for s := range sigs {
			if s != syscall.SIGHUP { // one session: nothing to recycle
				cancel()
				return
			}
		}
	}()
	conn := stdioSession()
	pp := proc.Open(env.ProcDir, os.Getpid())
	defer pp.Close()
	sess := newSession(1, env, conn, pp, env.ReverseLookups)
	defer sess.close()
	func() {
		defer func() {
			if r := recover(); r != nil {
				log.Error("session_panic", "service", env.Service, "session", 1, "panic", r)
			}
		}()
		spec.Serve(ctx, conn, sess)
	}()
	conn.Close()
	return nil
}
