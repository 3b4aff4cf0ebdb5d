// Command testservice is a small line service for master's end-to-end
// tests (test/master). It is built by the test harness, never installed.
//
// Modes, chosen by the first argument:
//
//	testservice [service flags]          a Gyrus service on lib/service (many sessions per process)
//	testservice cyrus [-U n] [-crash]    a one-connection-per-process service speaking
//	                                     Cyrus's master protocol by hand, as a C service does
//	testservice daemon [-wait ok|bad] [-record file] [-exit-after ms]   a DAEMON entry
//	testservice event -record file [-exit n] [-name x] a START or EVENTS entry
//
// The line protocol (every service mode): a greeting
// "* OK testservice <mode> pid=<pid> service=<CYRUS_SERVICE> id=<CYRUS_ID>",
// then one command per line, one answer line each:
//
//	PING -> PONG          ECHO text -> text        PID -> pid
//	ENV NAME -> value     FDS -> the descriptors open when the program started
//	FDINFO -> fd=target ...                        HOST -> client host
//	SLEEP ms -> OK        PROC user mailbox -> OK (proc file)
//	PANIC (a panic in the session)                 QUIT -> BYE, then close
//
// On SIGTERM a Gyrus-mode session says "* BYE shutting down" and closes.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"gyrus/lib/service"
)

// startFDs are the descriptors this process inherited through exec:
// those open without close-on-exec when main started (everything the
// Go runtime and our packages open is close-on-exec). startFDTargets
// says what each one is.
var startFDs, startFDTargets string

func main() {
	startFDs = openFDs()
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "cyrus":
		os.Exit(cyrusMode(os.Args[2:]))
	case "daemon":
		os.Exit(daemonMode(os.Args[2:]))
	case "event":
		os.Exit(eventMode(os.Args[2:]))
	}
	service.Run(service.Spec{
		Name:  "testservice",
		Usage: "line service for master's tests",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "crash-after", Usage: "exit 1 this many `ms` after start (crash loop)"},
		},
		Init: func(env *service.Env) error {
			if ms := env.Int("crash-after"); ms > 0 {
				go func() {
					time.Sleep(time.Duration(ms) * time.Millisecond)
					os.Exit(1)
				}()
			}
			return nil
		},
		Serve:         serveGyrus,
		ShutdownGrace: 3 * time.Second,
	})
}

func openFDs() string {
	names, err := os.ReadDir("/proc/self/fdinfo")
	if err != nil {
		return "?"
	}
	var fds []int
	targets := map[int]string{}
	for _, n := range names {
		fd, err := strconv.Atoi(n.Name())
		if err != nil {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + n.Name())
		if err != nil {
			continue // the directory's own descriptor, gone already
		}
		if cloexec(string(info)) {
			continue
		}
		fds = append(fds, fd)
		targets[fd], _ = os.Readlink("/proc/self/fd/" + n.Name())
	}
	sort.Ints(fds)
	s := make([]string, len(fds))
	ts := make([]string, len(fds))
	for i, fd := range fds {
		s[i] = strconv.Itoa(fd)
		ts[i] = s[i] + "=" + targets[fd]
	}
	startFDTargets = strings.Join(ts, " ")
	return strings.Join(s, ",")
}

// cloexec reads the octal "flags:" line of /proc/self/fdinfo/N.
func cloexec(info string) bool {
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(l, "flags:"); ok {
			f, err := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
			return err == nil && f&unix.O_CLOEXEC != 0
		}
	}
	return false
}

func greeting(mode, svc, id string) string {
	return fmt.Sprintf("* OK testservice %s pid=%d service=%s id=%s", mode, os.Getpid(), svc, id)
}

func serveGyrus(ctx context.Context, conn net.Conn, s *service.Session) {
	stop := context.AfterFunc(ctx, func() {
		fmt.Fprint(conn, "* BYE shutting down\r\n")
		conn.Close()
	})
	defer stop()
	lines(conn, greeting("gyrus", s.Service, strconv.Itoa(s.Env.ID))+" session="+strconv.FormatUint(s.ID, 10), func(cmd, arg string) (string, bool) {
		switch cmd {
		case "HOST":
			return s.ClientHost, true
		case "PROC":
			f := strings.Fields(arg)
			for len(f) < 2 {
				f = append(f, "")
			}
			s.SetUser(f[0])
			s.SetMailbox(f[1])
			return "OK", true
		case "PANIC":
			panic("testservice: PANIC command")
		}
		return "", false
	})
}

// lines runs the line protocol on conn; extra handles mode-specific
// commands (ok = false: not one of them).
func lines(conn net.Conn, greet string, extra func(cmd, arg string) (string, bool)) {
	w := bufio.NewWriter(conn)
	reply := func(s string) bool {
		w.WriteString(s + "\r\n")
		return w.Flush() == nil
	}
	if !reply(greet) {
		return
	}
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd, arg, _ := strings.Cut(line, " ")
		cmd = strings.ToUpper(cmd)
		var out string
		switch cmd {
		case "PING":
			out = "PONG"
		case "ECHO":
			out = arg
		case "PID":
			out = strconv.Itoa(os.Getpid())
		case "ENV":
			out = os.Getenv(arg)
		case "FDS":
			out = startFDs
		case "FDINFO":
			out = startFDTargets
		case "SLEEP":
			ms, _ := strconv.Atoi(arg)
			time.Sleep(time.Duration(ms) * time.Millisecond)
			out = "OK"
		case "QUIT":
			reply("BYE")
			return
		default:
			var ok bool
			if extra != nil {
				out, ok = extra(cmd, arg)
			}
			if !ok {
				out = "BAD unknown command"
			}
		}
		if !reply(out) {
			return
		}
	}
}

// ---- Cyrus mode -------------------------------------------------------------

// cyrusMode behaves like a Cyrus C service under master (service.c): one
// connection at a time, UNAVAILABLE and CONNECTION when it takes one,
// AVAILABLE when done, exit after -U uses or on SIGHUP.
func cyrusMode(args []string) int {
	fs := flag.NewFlagSet("cyrus", flag.ContinueOnError)
	uses := fs.Int("U", 250, "uses")
	crash := fs.Bool("crash", false, "exit 1 at once")
	fs.String("C", "", "imapd.conf (ignored)")
	if fs.Parse(args) != nil {
		return 64
	}
	if *crash {
		return 1
	}
	if os.Getenv(service.EnvService) == "" {
		return 70
	}
	var hup atomic.Bool
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP)
	go func() {
		for range sigs {
			hup.Store(true)
		}
	}()
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	tell := func(code int32) {
		b := service.Msg{Code: code, Value: int32(os.Getpid())}.Encode()
		unix.Write(3, b[:])
	}
	for n := 0; ; {
		fd := -1
		for fd < 0 {
			if hup.Load() {
				tell(service.MsgUnavailable)
				return 0
			}
			p := []unix.PollFd{{Fd: 4, Events: unix.POLLIN}}
			if k, _ := unix.Poll(p, 100); k <= 0 {
				continue
			}
			nfd, _, err := unix.Accept(4)
			if err != nil {
				if err == unix.EAGAIN || err == unix.EINTR || err == unix.ECONNABORTED {
					continue
				}
				// EINVAL: master shut the socket down (the entry was
				// removed); SIGHUP came just before. service.c exits
				// quietly then, and fails otherwise.
				time.Sleep(100 * time.Millisecond)
				tell(service.MsgUnavailable)
				if err == unix.EINVAL && hup.Load() {
					return 0
				}
				return 71
			}
			fd = nfd
		}
		tell(service.MsgUnavailable)
		tell(service.MsgConnection)
		unix.SetNonblock(fd, false)
		f := os.NewFile(uintptr(fd), "conn")
		conn, err := net.FileConn(f)
		f.Close()
		if err == nil {
			lines(conn, greeting("cyrus", os.Getenv(service.EnvService), os.Getenv(service.EnvID)), nil)
			conn.Close()
		}
		n++
		if hup.Load() || n >= *uses {
			return 0
		}
		tell(service.MsgAvailable)
	}
}

// ---- DAEMON, START and EVENTS entries ----------------------------------------

func record(path, what string) {
	if path == "" {
		return
	}
	line := fmt.Sprintf("%s pid=%d ms=%d service=%s id=%s isdaemon=%s fds=%s\n", what, os.Getpid(),
		time.Now().UnixMilli(), os.Getenv(service.EnvService), os.Getenv(service.EnvID),
		os.Getenv(service.EnvIsDaemon), startFDs)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	f.WriteString(line)
	f.Close()
}

func daemonMode(args []string) int {
	fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
	wait := fs.String("wait", "", "what to write on fd 3: ok or bad")
	rec := fs.String("record", "", "append start and stop lines to this file")
	name := fs.String("name", "daemon", "name in the record lines")
	exitAfter := fs.Int("exit-after", -1, "exit 1 after this many ms (crash loop)")
	if fs.Parse(args) != nil {
		return 64
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	record(*rec, *name+" start")
	switch *wait {
	case "ok":
		unix.Write(3, []byte("ok\r\n"))
		unix.Close(3)
	case "bad":
		unix.Write(3, []byte("no\r\n"))
		unix.Close(3)
	}
	if *exitAfter >= 0 {
		go func() {
			time.Sleep(time.Duration(*exitAfter) * time.Millisecond)
			os.Exit(1)
		}()
	}
	s := <-sigs
	record(*rec, *name+" stop "+s.String())
	return 0
}

func eventMode(args []string) int {
	fs := flag.NewFlagSet("event", flag.ContinueOnError)
	rec := fs.String("record", "", "append a line to this file")
	code := fs.Int("exit", 0, "exit status")
	name := fs.String("name", "event", "name in the record line")
	if fs.Parse(args) != nil {
		return 64
	}
	record(*rec, *name)
	return *code
}
