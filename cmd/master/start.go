package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/lib/config/cyrusconf"
	"gyrus/lib/lockfile"
	"gyrus/lib/log"
	"gyrus/lib/sysexits"
)

// exitError ends master with a status after logging (Cyrus's fatal()).
type exitError struct {
	msg  string
	code int
}

func (e *exitError) Error() string { return e.msg }

func fatal(code int, format string, args ...any) *exitError {
	return &exitError{msg: fmt.Sprintf(format, args...), code: code}
}

// start runs master; it returns the exit status.
func start(o options) int {
	// Every fork happens on this goroutine's thread (see startProcess).
	runtime.LockOSThread()
	closeOnExecAll()

	if v := os.Getenv("CYRUS_VERBOSE"); v != "" {
		n, _ := strconv.Atoi(v)
		o.verbose += n + 1
	}
	if o.daemon && o.debug {
		return die(fatal(sysexits.Config, "Unable to be both debug and daemon mode"))
	}
	if o.janitor < 1 {
		return die(fatal(sysexits.Config, "The janitor period must be at least 1 second"))
	}
	set, err := loadSettings(o.imapdConf)
	if err != nil {
		return die(fatal(sysexits.Config, "%v", err))
	}
	foreground = o.debug || o.logFile != ""
	setupLog(set, o.verbose)
	if o.pidFile == "" {
		o.pidFile = set.pidFile
	}
	if o.readyFile == "" {
		o.readyFile = set.readyFile
	}

	if err := redirectStdio(o); err != nil {
		return die(err)
	}
	if o.daemon {
		v := os.Getenv(daemonChildEnv)
		if v == "" {
			return daemonize(o, set)
		}
		if fd, err := strconv.Atoi(v); err == nil {
			syscall.CloseOnExec(fd)
		}
	}

	m := newMaster(o, set)
	code := m.run()
	if o.daemon {
		reportDaemonStart(code) // no-op once reported
	}
	return code
}

// foreground: log lines are copied to stderr (-D or -L).
var foreground bool

func setupLog(set *settings, verbose int) {
	o := log.FromConfig(set.cfg, foreground)
	o.Debug = o.Debug || verbose > 0
	log.Setup(o)
}

// die logs a fatal error as Cyrus's fatal() does, and also prints it on
// stderr when log lines do not go there already.
func die(err error) int {
	code := 1
	var e *exitError
	if errors.As(err, &e) {
		code = e.code
	}
	log.Printf(log.LevelErr, "%s", err.Error())
	noticef("exiting")
	if !foreground {
		fmt.Fprintf(os.Stderr, "master: fatal error: %s\n", err.Error())
	}
	return code
}

// run is master from the pidfile to the end of the main loop.
func (m *master) run() int {
	if err := m.lockPidFile(); err != nil {
		return die(err)
	}
	debugf("process_started")

	cfg, err := cyrusconf.Load(m.o.cyrusConf)
	if err != nil {
		return die(fatal(sysexits.Config, "%v", err))
	}
	if len(cfg.Problems) > 0 {
		return die(fatal(sysexits.Config, "%v", cfg.Problems[0]))
	}
	if err := m.checkExecutables(cfg); err != nil {
		return die(err)
	}
	installSignals(m.sigs)

	m.conf = cfg
	for i := range cfg.Services {
		s := &cfg.Services[i]
		m.entries = append(m.entries, newEntryFromService(s, m.res.path(s.Cmd)))
	}
	for _, e := range m.entries {
		if err := m.bindEntry(e, true); err != nil {
			return die(err)
		}
	}
	if err := dropPrivileges(m.set); err != nil {
		return die(err)
	}
	for i := range cfg.Start {
		if err := m.runStart(&cfg.Start[i]); err != nil {
			m.stopWaitDaemons()
			return die(err)
		}
	}
	for i := range cfg.Daemons {
		d := &cfg.Daemons[i]
		m.entries = append(m.entries, newEntryFromDaemon(d, m.res.path(d.Cmd)))
	}
	for _, e := range m.entries {
		if e.wait {
			if err := m.spawnWaitDaemon(e); err != nil {
				m.stopWaitDaemons()
				return die(err)
			}
		}
	}
	m.loadEvents(cfg)
	m.undermanned()
	// The log line comes before the ready file, as in Cyrus: whoever waits
	// for the file (Cassandane, our harness) then finds the line in the log.
	reportDaemonStart(0)
	noticef("ready_for_work")
	if err := m.ready(true); err != nil {
		m.beginShutdown()
		m.loop()
		return die(err)
	}
	sdNotify("READY=1\nMAINPID=" + strconv.Itoa(os.Getpid()))
	return m.loop()
}

// checkExecutables: every SERVICES and DAEMON program must exist (master.c
// verify_service_file).
func (m *master) checkExecutables(cfg *cyrusconf.Config) error {
	for _, s := range cfg.Services {
		if !executable(m.res.path(s.Cmd)) {
			return fatal(sysexits.Config, "cannot find executable for service '%s'", s.Name)
		}
	}
	for _, d := range cfg.Daemons {
		if !executable(m.res.path(d.Cmd)) {
			kind := "daemon"
			if d.Wait {
				kind = "waitdaemon"
			}
			return fatal(sysexits.Config, "cannot find executable for %s '%s'", kind, d.Name)
		}
	}
	return nil
}

// bindEntry creates the listeners of a service entry. At start-up a bind
// failure is fatal when master_bind_errors_fatal is set; otherwise the
// entry is left without the failed sockets.
func (m *master) bindEntry(e *entry, startup bool) error {
	svc := &cyrusconf.Service{Name: e.name, Listen: e.listen, Proto: e.proto}
	socks, err := bindService(svc, m.o.backlog, m.set.tos)
	if err != nil {
		var be *bindError
		if startup && m.set.bindErrorsFatal && errors.As(err, &be) {
			for _, s := range socks {
				s.close()
			}
			return fatal(sysexits.Unavailable, "%v", err)
		}
		if len(socks) == 0 {
			errorf("listener_failed_service_disabled", "service", e.name, "listen", e.listen, "error", err)
		}
	}
	e.listeners = nil
	for i, s := range socks {
		l := newListener(e, i, s.family, s)
		e.listeners = append(e.listeners, l)
		m.startWatcher(l)
		debugf("listening", "service", l.String(), "address", s.addr)
	}
	return nil
}

// runStart runs one START command to completion (master.c run_startup).
func (m *master) runStart(s *cyrusconf.Start) error {
	path := m.res.path(s.Cmd)
	pid, err := startProcess(procSpec{path: path, argv: s.Cmd, status: -1, listen: -1})
	if err != nil {
		return fatal(1, "can't run startup %s: %v", s.Name, err)
	}
	var ws unix.WaitStatus
	for {
		_, err = unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		errorf("waitpid_failed", "error", err)
		return nil
	}
	c := &child{pid: pid, kind: ckEvent, name: s.Name, path: path, spawned: time.Now(), ws: ws}
	if exitFailed(c, false) {
		return fatal(1, "can't run startup")
	}
	return nil
}

// spawnWaitDaemon starts a DAEMON with wait=y and waits until it writes
// "ok\r\n" on its fd 3 (master.c spawn_waitdaemon).
func (m *master) spawnWaitDaemon(e *entry) error {
	l := e.listeners[0]
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return fatal(sysexits.OSErr, "unable to spawn waitdaemon %s/daemon: %v", e.name, err)
	}
	env := []string{"CYRUS_ISDAEMON=1", "CYRUS_SERVICE=" + e.name, "CYRUS_ID=0"}
	pid, err := startProcess(procSpec{path: e.path, argv: e.cmd, env: env, status: p[1], listen: -1, maxfds: e.maxfds})
	unix.Close(p[1])
	if err != nil {
		unix.Close(p[0])
		return fatal(sysexits.OSErr, "unable to spawn waitdaemon %s/daemon: %v", e.name, err)
	}
	c := &child{pid: pid, kind: ckWaitDaemon, name: e.name, path: e.path, l: l, state: stReady, spawned: time.Now(), eof: true}
	m.children[pid] = c
	l.children[pid] = c
	l.ready++
	l.nactive++
	l.used++
	l.intervalForks++
	l.nforks++

	r := os.NewFile(uintptr(p[0]), "waitdaemon")
	buf := make([]byte, 4)
	n, _ := readFull(r, buf)
	r.Close()
	if n != 4 || !bytes.Equal(buf, []byte("ok\r\n")) {
		errorf("waitdaemon_ready_failed", "service", l.String(), "pid", pid, "want", "ok\r\n", "got", string(buf[:n]))
		return fatal(sysexits.Config, "unable to spawn waitdaemon %s/daemon", e.name)
	}
	return nil
}

func readFull(f *os.File, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := f.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// stopWaitDaemons ends the wait=y daemons in the reverse order of their
// start, each before the next (master.c, after the main loop).
func (m *master) stopWaitDaemons() {
	for i := len(m.entries) - 1; i >= 0; i-- {
		e := m.entries[i]
		if !e.wait {
			continue
		}
		for _, l := range e.listeners {
			for pid, c := range l.children {
				if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && err != syscall.ESRCH {
					errorf("kill_child_failed", "pid", pid, "error", err)
				}
				noticef("waiting_for_child_to_exit", "service", l.String(), "pid", pid)
				var ws unix.WaitStatus
				for {
					_, err := unix.Wait4(pid, &ws, 0, nil)
					if err != unix.EINTR {
						break
					}
				}
				c.ws = ws
				switch {
				case ws.Exited():
					noticef("child_exited", "service", l.String(), "pid", pid, "status", ws.ExitStatus())
				case ws.Signaled():
					noticef("child_killed", "service", l.String(), "pid", pid, "signal", int(ws.Signal()))
				}
				delete(l.children, pid)
				delete(m.children, pid)
				l.nactive--
				l.ready--
				l.used--
			}
		}
	}
}

// ---- pidfile, ready file -------------------------------------------------

func (m *master) lockPidFile() error {
	f, err := os.OpenFile(m.o.pidFile, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fatal(sysexits.OSErr, "can't open pidfile %s: %v", m.o.pidFile, err)
	}
	if err := lockfile.TryLock(f, lockfile.Exclusive); err != nil {
		f.Close()
		if errors.Is(err, lockfile.ErrWouldBlock) {
			return fatal(sysexits.OSErr, "cannot get exclusive lock on pidfile (is another master still running?)")
		}
		return fatal(sysexits.OSErr, "cannot lock pidfile %s: %v", m.o.pidFile, err)
	}
	if err := f.Truncate(0); err != nil {
		return fatal(sysexits.OSErr, "unable to write to pidfile: %v", err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return fatal(sysexits.OSErr, "unable to write to pidfile: %v", err)
	}
	if err := f.Sync(); err != nil {
		return fatal(sysexits.OSErr, "unable to sync pidfile: %v", err)
	}
	m.pidFile = f // kept open (and locked) until master exits
	return nil
}

// ready creates (on) or removes (off) the ready file (Cyrus 3.10's
// master_ready_file: an empty file that exists while master serves).
func (m *master) ready(on bool) error {
	path := m.o.readyFile
	if path == "" {
		return nil
	}
	if !on {
		os.Remove(path)
		return nil
	}
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fatal(sysexits.OSErr, "unable to create ready file %s: %v", path, err)
	}
	f.Sync()
	return f.Close()
}

// ---- privileges -----------------------------------------------------------

// dropPrivileges switches to cyrus_user (and its group, or cyrus_group)
// when master runs as root; $CYRUS_USER and $CYRUS_GROUP win. Listening
// sockets are already bound.
func dropPrivileges(s *settings) error {
	if os.Geteuid() != 0 {
		return nil
	}
	name := s.cyrusUser
	if v := os.Getenv("CYRUS_USER"); v != "" {
		name = v
	}
	if name == "" {
		name = "cyrus"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return fatal(1, "can't change to the cyrus user %s: %v", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	group := s.cyrusGroup
	if v := os.Getenv("CYRUS_GROUP"); v != "" {
		group = v
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return fatal(1, "can't change to the cyrus group %s: %v", group, err)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	if uid == 0 {
		return nil
	}
	if err := syscall.Setgroups([]int{gid}); err != nil {
		return fatal(1, "can't change to the cyrus user: setgroups: %v", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fatal(1, "can't change to the cyrus user: setgid: %v", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fatal(1, "can't change to the cyrus user: setuid: %v", err)
	}
	return nil
}

// redirectStdio: without -D, stdin/out/err go to /dev/null, or stdout and
// stderr to the -L file (master.c).
func redirectStdio(o options) error {
	if o.debug && o.logFile == "" {
		return nil
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return fatal(2, "couldn't open %s: %v", os.DevNull, err)
	}
	defer null.Close()
	out := null
	if o.logFile != "" {
		lf, err := os.OpenFile(o.logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
		if err != nil {
			return fatal(2, "couldn't open %s: %v", o.logFile, err)
		}
		defer lf.Close()
		out = lf
	}
	unix.Dup2(int(null.Fd()), 0)
	unix.Dup2(int(out.Fd()), 1)
	unix.Dup2(int(out.Fd()), 2)
	return nil
}
