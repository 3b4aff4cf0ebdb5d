package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"gyrus/lib/service"
)

// procSpec is what to start.
type procSpec struct {
	path   string
	argv   []string
	env    []string // added to master's environment (after cleaning)
	status int      // descriptor to give as fd 3, or -1
	listen int      // descriptor to give as fd 4, or -1
	maxfds int      // RLIMIT_NOFILE for the child, 0 = inherited
}

// childEnvDrop are variables master sets itself or must not leak.
var childEnvDrop = []string{
	service.EnvService + "=", service.EnvID + "=", service.EnvIsDaemon + "=",
	service.EnvSlots + "=", "NOTIFY_SOCKET=", daemonChildEnv + "=",
}

// baseEnv is master's environment without the variables above.
func baseEnv() []string {
	var out []string
next:
	for _, kv := range os.Environ() {
		for _, p := range childEnvDrop {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// startProcess forks and execs p. It must be called from master's main
// goroutine, which is locked to its OS thread: Pdeathsig is tied to the
// thread that forks, and that thread lives as long as master.
//
// The child gets fds 0-2 from master, fd 3 and 4 when asked, and nothing
// else (every other descriptor master holds is close-on-exec). It runs in
// its own process group, so that a terminal's ^C reaches master only and
// master decides the order of shutdown, and so that a signal to the group
// also reaches what the child started. If master dies without cleaning up,
// the kernel sends the child SIGTERM.
func startProcess(p procSpec) (int, error) {
	files := []uintptr{0, 1, 2}
	if p.status >= 0 || p.listen >= 0 {
		files = append(files, fdOrClosed(p.status), fdOrClosed(p.listen))
	}
	env := append(baseEnv(), p.env...)
	attr := &syscall.ProcAttr{
		Env:   env,
		Files: files,
		Sys: &syscall.SysProcAttr{
			Setpgid:   true,
			Pdeathsig: syscall.SIGTERM,
		},
	}
	pid, err := syscall.ForkExec(p.path, p.argv, attr)
	if err != nil {
		return 0, fmt.Errorf("exec %s: %w", p.path, err)
	}
	if p.maxfds > 0 {
		limitFDs(pid, p.maxfds)
	}
	return pid, nil
}

func fdOrClosed(fd int) uintptr {
	if fd < 0 {
		return ^uintptr(0) // -1: closed in the child
	}
	return uintptr(fd)
}

// limitFDs sets the child's RLIMIT_NOFILE (cyrus.conf maxfds), capped at
// the hard limit. Both the soft and the hard limit are set: a Go child
// raises its soft limit to the hard one at start-up.
func limitFDs(pid, n int) {
	var cur unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &cur); err != nil {
		errorf("getrlimit_failed", "pid", pid, "error", err)
		return
	}
	want := uint64(n)
	if cur.Max != unix.RLIM_INFINITY && want > cur.Max {
		warnf("maxfds_capped", "requested", n, "hard", cur.Max)
		want = cur.Max
	}
	lim := unix.Rlimit{Cur: want, Max: want}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		errorf("setrlimit_failed", "pid", pid, "limit", want, "error", err)
	}
}

// resolver finds the program of a cmd= (master.c get_executable): an
// absolute path as is; otherwise master's own directory (the libexec
// directory of an installation, bin/ of a build) and then ../sbin next to
// it, where the administration tools are installed.
type resolver struct{ dirs []string }

func newResolver() resolver {
	exe, err := os.Executable()
	if err != nil {
		return resolver{}
	}
	dir := filepath.Dir(exe)
	return resolver{dirs: []string{dir, filepath.Join(filepath.Dir(dir), "sbin")}}
}

func (r resolver) path(cmd []string) string {
	if len(cmd) == 0 {
		return ""
	}
	if strings.HasPrefix(cmd[0], "/") {
		return cmd[0]
	}
	for _, d := range r.dirs {
		p := filepath.Join(d, cmd[0])
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if len(r.dirs) > 0 {
		return filepath.Join(r.dirs[0], cmd[0])
	}
	return cmd[0]
}

// executable reports whether path is a regular file its owner may
// execute (master.c verify_service_file).
func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o100 != 0
}

// closeOnExecAll marks every descriptor above 2 close-on-exec, so that
// whatever master inherited (from a shell, a test runner, a daemon
// launcher) never reaches the children: they get 0-2 and, for services,
// 3 and 4 — nothing else.
func closeOnExecAll() {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return
	}
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		if fd, err := strconv.Atoi(n); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
