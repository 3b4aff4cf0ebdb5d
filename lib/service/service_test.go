package service

import (
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestMsgEncoding(t *testing.T) {
	m := Msg{Code: MsgConnectionMulti, Value: 4711}
	b := m.Encode()
	// host byte order: little-endian on every platform we build for
	want := [MsgSize]byte{4, 0, 0, 0, 0x67, 0x12, 0, 0}
	if b != want {
		t.Errorf("Encode = % x, want % x", b, want)
	}
	if got := DecodeMsg(b[:]); got != m {
		t.Errorf("DecodeMsg = %v", got)
	}
	if s := (Msg{Code: MsgSlotGrant, Value: -1}).String(); s != "SLOT_GRANT(-1)" {
		t.Errorf("String = %q", s)
	}
}

func TestMergedOption(t *testing.T) {
	for args, want := range map[string]string{
		"-U 30 -T 5":            "",
		"-U30":                  "-U30",
		"-DX":                   "-DX",
		"-C /etc/imapd.conf -s": "",
		"-C -Ufoo":              "", // -Ufoo is -C's value
		"-s -N":                 "",
		"--listen -Dx":          "",
		"-- -U30":               "",
		"-Tx":                   "-Tx",
	} {
		if got := mergedOption(strings.Fields(args)); got != want {
			t.Errorf("mergedOption(%q) = %q, want %q", args, got, want)
		}
	}
}

func TestCFormat(t *testing.T) {
	got := cFormat("gdb %s %d # %s 100%% %x", "/usr/lib/imapd", 42, "imaps")
	if want := "gdb /usr/lib/imapd 42 # imaps 100% %x"; got != want {
		t.Errorf("cFormat = %q, want %q", got, want)
	}
}

// recorder reads the messages a link writes.
type recorder struct {
	mu   sync.Mutex
	msgs []Msg
}

func newTestLink(t *testing.T) (*link, *recorder) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	go func() {
		var b [MsgSize]byte
		for {
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return
			}
			rec.mu.Lock()
			rec.msgs = append(rec.msgs, DecodeMsg(b[:]))
			rec.mu.Unlock()
		}
	}()
	t.Cleanup(func() { w.Close() })
	return &link{f: w, pid: 99}, rec
}

func (r *recorder) codes(t *testing.T, n int) []int32 {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		r.mu.Lock()
		got := len(r.msgs)
		r.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int32
	for _, m := range r.msgs {
		out = append(out, m.Code)
		if m.Value != 99 {
			t.Errorf("message %v does not carry the pid", m)
		}
	}
	r.msgs = nil
	return out
}

func equal(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSlots(t *testing.T) {
	l, rec := newTestLink(t)
	s := newSlots(0, l, true)
	got := make(chan bool, 1)
	go func() { got <- s.acquire() }()
	select {
	case <-got:
		t.Fatal("acquired a slot before any grant")
	case <-time.After(100 * time.Millisecond):
	}
	s.grant(3)
	if !<-got {
		t.Fatal("no slot after a grant")
	}
	if !s.acquire() || !s.acquire() {
		t.Fatal("granted slots not usable")
	}
	go func() { got <- s.acquire() }()
	select {
	case <-got:
		t.Fatal("acquired more than granted")
	case <-time.After(100 * time.Millisecond):
	}
	s.release(true) // a session ended: its slot goes to the waiting acquire
	if !<-got {
		t.Fatal("released slot not reused")
	}
	if c := rec.codes(t, 1); !equal(c, []int32{MsgConnectionEnd}) {
		t.Errorf("after release: %v", c)
	}
	// revoke: only free slots go back (none free now), then REVOKE_DONE
	s.revoke(2)
	if c := rec.codes(t, 1); !equal(c, []int32{MsgRevokeDone}) {
		t.Errorf("revoke with nothing free: %v", c)
	}
	s.release(false) // a failed accept: 2 in use, 1 free
	s.revoke(5)
	if c := rec.codes(t, 2); !equal(c, []int32{MsgSlotRelease, MsgRevokeDone}) {
		t.Errorf("revoke: %v", c)
	}
	// drain: UNAVAILABLE, the free slots back (none), then each slot as it frees
	s.grant(2) // 2 in use, 2 free
	s.drain()
	if c := rec.codes(t, 3); !equal(c, []int32{MsgUnavailable, MsgSlotRelease, MsgSlotRelease}) {
		t.Errorf("drain: %v", c)
	}
	if s.acquire() {
		t.Error("acquire after drain")
	}
	s.release(true)
	if c := rec.codes(t, 2); !equal(c, []int32{MsgConnectionEnd, MsgSlotRelease}) {
		t.Errorf("release while draining: %v", c)
	}
	s.grant(4) // late grant while draining: handed straight back
	if c := rec.codes(t, 4); len(c) != 4 || c[0] != MsgSlotRelease {
		t.Errorf("grant while draining: %v", c)
	}
	if s.active() != 1 {
		t.Errorf("active = %d", s.active())
	}
}

func TestSlotsUnlimitedAndCyrusMaster(t *testing.T) {
	l, rec := newTestLink(t)
	s := newSlots(-1, l, false) // Cyrus's master: no extensions
	for i := 0; i < 100; i++ {
		if !s.acquire() {
			t.Fatal("unlimited acquire failed")
		}
	}
	s.release(true)
	s.drain()
	s.release(true)
	if c := rec.codes(t, 1); !equal(c, []int32{MsgUnavailable}) {
		t.Errorf("Cyrus master got %v, want only UNAVAILABLE", c)
	}
}

func TestKeepalive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			defer c.Close()
			time.Sleep(time.Second)
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	opt := func(level, name int) int {
		rc, _ := c.(*net.TCPConn).SyscallConn()
		v := -1
		rc.Control(func(fd uintptr) { v, _ = unix.GetsockoptInt(int(fd), level, name) })
		return v
	}
	keepalive{}.apply(c)
	if v := opt(unix.SOL_SOCKET, unix.SO_KEEPALIVE); v != 0 {
		t.Errorf("tcp_keepalive off: SO_KEEPALIVE = %d, want 0 (Go turns it on by default)", v)
	}
	keepalive{on: true, count: 4, idle: 30 * time.Second, interval: 7 * time.Second}.apply(c)
	if v := opt(unix.SOL_SOCKET, unix.SO_KEEPALIVE); v != 1 {
		t.Errorf("SO_KEEPALIVE = %d", v)
	}
	if v := opt(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE); v != 30 {
		t.Errorf("TCP_KEEPIDLE = %d", v)
	}
	if v := opt(unix.IPPROTO_TCP, unix.TCP_KEEPINTVL); v != 7 {
		t.Errorf("TCP_KEEPINTVL = %d", v)
	}
	if v := opt(unix.IPPROTO_TCP, unix.TCP_KEEPCNT); v != 4 {
		t.Errorf("TCP_KEEPCNT = %d", v)
	}
}

func TestClientHost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			defer c.Close()
			time.Sleep(time.Second)
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	host, local, remote := clientHost(c, false)
	if host != "[127.0.0.1]" || local != "127.0.0.1;"+port(ln.Addr()) || remote == "" {
		t.Errorf("clientHost = %q %q %q", host, local, remote)
	}
	if h, _, _ := clientHost(&stdioConn{}, true); h != UnixSocketHost {
		t.Errorf("stdio client host %q", h)
	}
}

func port(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

func TestRandomIdle(t *testing.T) {
	if randomIdle(0) != 0 {
		t.Error("-T 0 must mean never")
	}
	for i := 0; i < 100; i++ {
		d := randomIdle(5)
		if d < 5*time.Second || d >= 10*time.Second {
			t.Fatalf("randomIdle(5) = %v, want [5s, 10s)", d)
		}
	}
}
