package master_test

import (
	"fmt"
	"net"
	"os"
	rx "regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/test/harness"
)

func itoa(n int) string { return strconv.Itoa(n) }

func hasIPv6() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// servicePIDs returns master's children started for a cyrus.conf entry.
func servicePIDs(in *harness.Instance, name string) []int {
	var out []int
	for _, pid := range in.Children() {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(b), "\x00") {
			if kv == "CYRUS_SERVICE="+name {
				out = append(out, pid)
			}
		}
	}
	return out
}

// waitCount waits until f() == n.
func waitCount(t *testing.T, in *harness.Instance, what string, n int, f func() int) {
	t.Helper()
	in.WaitFor(10*time.Second, fmt.Sprintf("%s = %d", what, n), func() bool { return f() == n })
}

// records reads the lines testservice's -record wrote, filtered by prefix.
func records(path, prefix string) []string {
	b, _ := os.ReadFile(path)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// field returns key=value's value from a record line.
func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// greeted dials and reports, on the returned channel, the greeting (or
// "" on error) — for connections that may wait in the backlog.
func greeted(addr string) (net.Conn, <-chan string) {
	ch := make(chan string, 1)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		ch <- ""
		return nil, ch
	}
	go func() {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		b := make([]byte, 512)
		n, _ := c.Read(b)
		ch <- strings.TrimSpace(string(b[:n]))
	}()
	return c, ch
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

// masterLog is master's stdout and stderr (each line once).
func masterLog(in *harness.Instance) string {
	b, _ := os.ReadFile(in.MasterLog)
	return string(b)
}

// regexp reports whether s matches the regular expression re.
func regexp(s, re string) bool { return rx.MustCompile(re).MatchString(s) }
