package main

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/lib/config/cyrusconf"
)

func TestWaterfill(t *testing.T) {
	free := func(c *child) int { return c.owned - c.inuse }
	mk := func(frees ...int) []*child {
		var out []*child
		for _, f := range frees {
			out = append(out, &child{owned: f})
		}
		return out
	}
	for _, tc := range []struct {
		frees []int // sorted ascending
		pool  int
		want  []int
	}{
		{[]int{0}, 5, []int{5}},
		{[]int{0, 0}, 5, []int{3, 2}},
		{[]int{0, 4}, 2, []int{2, 0}},
		{[]int{0, 4}, 6, []int{5, 1}},
		{[]int{1, 2, 10}, 4, []int{3, 1, 0}},
		{[]int{0, 0, 0}, 1, []int{1, 0, 0}},
	} {
		got := waterfill(mk(tc.frees...), free, tc.pool)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("waterfill(%v, %d) = %v, want %v", tc.frees, tc.pool, got, tc.want)
		}
		sum := 0
		for _, n := range got {
			sum += n
		}
		if sum != tc.pool {
			t.Errorf("waterfill(%v, %d) hands out %d", tc.frees, tc.pool, sum)
		}
	}
}

func TestClock(t *testing.T) {
	c := &clock{}
	if err := c.parse("2024-01-02T03:59:00 60"); err != nil {
		t.Fatal(err)
	}
	c.real = time.Now().Add(-2 * time.Second)
	now := c.now()
	want := time.Date(2024, 1, 2, 4, 1, 0, 0, time.Local)
	if d := now.Sub(want); d < 0 || d > 30*time.Second {
		t.Errorf("2 s after start at x60: %v, want about %v", now, want)
	}
	real := c.toReal(want)
	if d := time.Until(real); d < -time.Second || d > time.Second {
		t.Errorf("toReal: %v from now", d)
	}
	for _, bad := range []string{"", "2024-01-02T03:59:00", "yesterday 60", "2024-01-02T03:59:00 0", "2024-01-02T03:59:00 x"} {
		if err := (&clock{}).parse(bad); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

func TestNextDailyAcrossDST(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tz database")
	}
	old := time.Local
	time.Local = loc
	defer func() { time.Local = old }()
	// 2024-03-31: clocks jump from 02:00 to 03:00 in Paris.
	t0 := time.Date(2024, 3, 30, 4, 0, 0, 0, loc)
	t1 := nextDaily(t0, 4, 0)
	if t1.Hour() != 4 || t1.Minute() != 0 || t1.Day() != 31 || t1.Sub(t0) != 23*time.Hour {
		t.Errorf("next 04:00 after %v = %v (%v later)", t0, t1, t1.Sub(t0))
	}
}

func TestLoadEvents(t *testing.T) {
	m := &master{clock: &clock{scale: 1}}
	m.clock.base = time.Date(2024, 1, 2, 3, 0, 0, 0, time.Local)
	m.clock.real = time.Now()
	cfg, err := cyrusconf.Parse("t", []byte("EVENTS {\n p cmd=x period=5\n early cmd=x at=0100\n late cmd=x at=0330\n once cmd=x\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m.loadEvents(cfg)
	var names []string
	for _, e := range m.events {
		names = append(names, e.name+" "+e.next.Format("01-02 15:04"))
	}
	want := []string{"p 01-02 03:00", "once 01-02 03:00", "late 01-02 03:30", "early 01-03 01:00"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("schedule %v, want %v", names, want)
	}
}

func TestResolveHost(t *testing.T) {
	both := []int{unix.AF_INET, unix.AF_INET6}
	got, err := resolveHost("", both)
	if err != nil || len(got) != 2 || got[0] != netip.IPv4Unspecified() || got[1] != netip.IPv6Unspecified() {
		t.Errorf("passive: %v %v", got, err)
	}
	got, err = resolveHost("::1", []int{unix.AF_INET})
	if err == nil {
		t.Errorf("::1 for tcp4: %v", got)
	}
	got, err = resolveHost("127.0.0.1", both)
	if err != nil || len(got) != 1 || got[0].String() != "127.0.0.1" {
		t.Errorf("literal: %v %v", got, err)
	}
	if _, err := lookupPort("tcp", "imap"); err != nil {
		if _, serr := os.Stat("/etc/services"); serr == nil {
			t.Errorf("imap from /etc/services: %v", err)
		}
	}
}

func TestBindService(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s")
	os.WriteFile(path, []byte("stale"), 0o600) // replaced, as Cyrus does
	socks, err := bindService(&cyrusconf.Service{Name: "u", Listen: path, Proto: "tcp"}, 8, 0)
	if err != nil || len(socks) != 1 || socks[0].family != "unix" {
		t.Fatalf("unix: %v %v", socks, err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("unix socket mode %v", fi.Mode())
	}
	socks[0].close()

	socks, err = bindService(&cyrusconf.Service{Name: "t", Listen: "127.0.0.1:0", Proto: "tcp"}, 8, qosValue("af41"))
	if err != nil || len(socks) != 1 || socks[0].family != "ipv4" {
		t.Fatalf("tcp: %v %v", socks, err)
	}
	if v, _ := unix.GetsockoptInt(socks[0].fd, unix.SOL_SOCKET, unix.SO_REUSEADDR); v != 1 {
		t.Errorf("SO_REUSEADDR = %d", v)
	}
	sa, _ := unix.Getsockname(socks[0].fd)
	port := sa.(*unix.SockaddrInet4).Port
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err != nil {
		t.Errorf("connect: %v", err)
	} else {
		c.Close()
	}
	socks[0].close()

	if l, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		l.Close()
		socks, err = bindService(&cyrusconf.Service{Name: "six", Listen: "[::1]:0", Proto: "tcp6"}, 8, 0)
		if err != nil || len(socks) != 1 || socks[0].family != "ipv6" {
			t.Fatalf("tcp6: %v %v", socks, err)
		}
		if v, _ := unix.GetsockoptInt(socks[0].fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY); v != 1 {
			t.Errorf("IPV6_V6ONLY = %d", v)
		}
		socks[0].close()
	}

	for _, bad := range []cyrusconf.Service{
		{Name: "p", Listen: "127.0.0.1:0", Proto: "sctp"},
		{Name: "h", Listen: "host:", Proto: "tcp"},
		{Name: "n", Listen: "127.0.0.1:nosuchservice", Proto: "tcp"},
	} {
		if socks, err := bindService(&bad, 8, 0); err == nil {
			t.Errorf("%+v bound: %v", bad, socks)
		}
	}
}

func TestQosValue(t *testing.T) {
	for name, want := range map[string]int{"cs0": 0, "cs1": 0x20, "af11": 0x28, "af43": 0x98, "ef": 0xb8} {
		if got := qosValue(name); got != want {
			t.Errorf("qosValue(%s) = %#x, want %#x", name, got, want)
		}
	}
}

func TestForkLimited(t *testing.T) {
	m := &master{}
	l := newListener(&entry{name: "x", forkRate: 5}, 0, "ipv4", nil)
	l.lastInterval = time.Now().Add(-time.Second)
	l.intervalForks = 50 // 50 forks in the last second
	if !m.forkLimited(l) {
		t.Error("50 forks/s not limited by maxforkrate=5")
	}
	if l.throttleUntil.IsZero() {
		t.Error("no wake-up scheduled")
	}
	l2 := newListener(&entry{name: "y"}, 0, "ipv4", nil)
	l2.intervalForks = 1000
	if m.forkLimited(l2) {
		t.Error("maxforkrate=0 limited")
	}
}
