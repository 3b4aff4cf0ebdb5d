package common

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Tree returns pid and all its live descendants, sorted.
func Tree(pid int) []int {
	kids := map[int][]int{}
	for _, p := range allPIDs() {
		if pp, st := statOf(p); st != "" && st != "Z" {
			kids[pp] = append(kids[pp], p)
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		out = append(out, p)
		for _, k := range kids[p] {
			walk(k)
		}
	}
	if Alive(pid) {
		walk(pid)
	}
	sort.Ints(out)
	return out
}

// PSS returns a process's proportional set size in KiB
// (/proc/PID/smaps_rollup), or -1 if it cannot be read.
func PSS(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
	}
	return -1
}

// TreePSS sums PSS over the given processes; it returns the sum in KiB
// and how many processes were counted (one that exited meanwhile is
// skipped).
func TreePSS(pids []int) (kib, n int) {
	for _, p := range pids {
		if v := PSS(p); v >= 0 {
			kib += v
			n++
		}
	}
	return kib, n
}

// Alive reports whether pid exists and is not a zombie.
func Alive(pid int) bool {
	_, st := statOf(pid)
	return st != "" && st != "Z" && st != "X"
}

// WaitGone waits until none of pids is alive, then kills (SIGKILL) those
// still alive after timeout and returns them.
func WaitGone(pids []int, timeout time.Duration) []int {
	deadline := time.Now().Add(timeout)
	for {
		var left []int
		for _, p := range pids {
			if Alive(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			for _, p := range left {
				syscall.Kill(p, syscall.SIGKILL)
			}
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// RaiseNoFile sets this process's RLIMIT_NOFILE soft limit to want (at
// most the hard limit) and returns the new soft limit. The servers
// started afterwards inherit it (Go restores the original limit in
// children only when the program never called Setrlimit itself).
func RaiseNoFile(want uint64) (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	if want > r.Max {
		// root may raise the hard limit too
		r2 := syscall.Rlimit{Cur: want, Max: want}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r2); err == nil {
			return want, nil
		}
		want = r.Max
	}
	r.Cur = want
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, fmt.Errorf("setrlimit nofile %d: %w", want, err)
	}
	return want, nil
}

func allPIDs() []int {
	des, _ := os.ReadDir("/proc")
	out := make([]int, 0, len(des))
	for _, d := range des {
		if pid, err := strconv.Atoi(d.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// statOf returns the parent and state letter of pid ("" if gone).
func statOf(pid int) (ppid int, state string) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, ""
	}
	ppid, _ = strconv.Atoi(f[1])
	return ppid, f[0]
}

// pidFile reads a pid from a file.
func pidFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return pid, nil
}
