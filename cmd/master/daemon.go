package main

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"strconv"
	"syscall"

	"gyrus/lib/lockfile"
	"gyrus/lib/sysexits"
)

// daemonChildEnv marks the background master started by -d; its value is
// the descriptor of the pipe on which it reports its start-up status.
const daemonChildEnv = "GYRUS_MASTER_DAEMON_PIPE"

// daemonize implements -d (master.c "Pidfile Algorithm in Daemon Mode"):
// lock <pidfile>.lock, start master again in a new session, wait for it to
// report that it holds the pidfile (or why it could not start), remove the
// lock file and exit with that status. Go cannot fork without exec, so the
// background master is a fresh exec of this program.
func daemonize(o options, set *settings) int {
	lockPath := o.pidFile + ".lock"
	lf, err := os.OpenFile(lockPath, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		errorf("cant_open_pidfile_lock", "file", lockPath, "error", err)
		return sysexits.OSErr
	}
	defer lf.Close()
	if err := lockfile.TryLock(lf, lockfile.Exclusive); err != nil {
		errorf("cant_get_exclusive_lock", "file", lockPath)
		return sysexits.TempFail
	}
	r, w, err := os.Pipe()
	if err != nil {
		errorf("cant_create_startup_pipe", "error", err)
		return sysexits.OSErr
	}
	exe, err := os.Executable()
	if err != nil {
		errorf("cant_find_my_own_executable", "error", err)
		return sysexits.OSErr
	}
	dir := set.configDir
	if dir == "" {
		dir = os.TempDir()
	}
	if st, err := os.Stat(dir + "/cores"); err == nil && st.IsDir() {
		dir += "/cores"
	}
	// fds 0-2 were redirected already; the status pipe becomes fd 3.
	proc, err := os.StartProcess(exe, os.Args, &os.ProcAttr{
		Dir:   dir,
		Env:   append(os.Environ(), daemonChildEnv+"=3"),
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr, w},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	w.Close()
	if err != nil {
		errorf("fork_error", "error", err)
		os.Remove(lockPath)
		return sysexits.OSErr
	}
	proc.Release()
	var b [4]byte
	n, _ := readFull(r, b[:])
	os.Remove(lockPath)
	if n != 4 {
		errorf("could_not_read_from_startup_pipe")
		return sysexits.OSErr
	}
	return int(int32(binary.NativeEndian.Uint32(b[:])))
}

var daemonReported bool

// reportDaemonStart tells the -d parent how start-up went (once).
func reportDaemonStart(code int) {
	if daemonReported {
		return
	}
	v := os.Getenv(daemonChildEnv)
	if v == "" {
		return
	}
	daemonReported = true
	fd, err := strconv.Atoi(v)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "startup-pipe")
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], uint32(int32(code)))
	f.Write(b[:])
	f.Close()
	os.Unsetenv(daemonChildEnv)
}

// sdNotify sends a state change to systemd when it started master with
// Type=notify (sd_notify(3)); it does nothing otherwise.
func sdNotify(state string) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return
	}
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		warnf("cannot_reach_systemd_notify_socket", "error", err)
		return
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil && !errors.Is(err, syscall.ECONNREFUSED) {
		warnf("cannot_notify_systemd", "error", err)
	}
}
