package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/lib/config/cyrusconf"
)

// socket is one bound listening socket of a SERVICES entry.
type socket struct {
	fd     int      // raw descriptor, handed to children as fd 4
	file   *os.File // the same descriptor, for the readiness watcher
	family string   // ipv4, ipv6 or unix (Cyrus's "familyname")
	addr   string   // for logs
	closed chan struct{}
	// rebind binds the same address again (after the socket was closed
	// because the service failed too often).
	rebind func() (*socket, error)
}

// bindError is a failure to create one socket; fatal at start-up when
// master_bind_errors_fatal is set.
type bindError struct {
	what string // "open", "bind" or "listen"
	name string // service/family
	err  error
}

func (e *bindError) Error() string {
	return fmt.Sprintf("unable to %s %s socket: %v", e.what, e.name, e.err)
}

// bindService creates the listening sockets of a SERVICES entry, one per
// address listen= resolves to (master.c service_create). Sockets that
// fail are logged and skipped; the returned error is the first failure
// (or the reason nothing could be bound).
func bindService(s *cyrusconf.Service, backlog, tos int) ([]*socket, error) {
	l, err := cyrusconf.ParseListen(s.Listen)
	if err != nil {
		return nil, fmt.Errorf("invalid listen '%s': %v", s.Listen, err)
	}
	if l.Unix() {
		typ := unix.SOCK_DGRAM
		if s.Proto == "tcp" {
			typ = unix.SOCK_STREAM
		}
		sk, err := bindUnix(s.Name, l.Path, typ, backlog)
		if err != nil {
			return nil, err
		}
		return []*socket{sk}, nil
	}

	var fams []int
	typ := unix.SOCK_STREAM
	switch s.Proto {
	case "tcp":
		fams = []int{unix.AF_INET, unix.AF_INET6}
	case "tcp4":
		fams = []int{unix.AF_INET}
	case "tcp6":
		fams = []int{unix.AF_INET6}
	case "udp":
		fams, typ = []int{unix.AF_INET, unix.AF_INET6}, unix.SOCK_DGRAM
	case "udp4":
		fams, typ = []int{unix.AF_INET}, unix.SOCK_DGRAM
	case "udp6":
		fams, typ = []int{unix.AF_INET6}, unix.SOCK_DGRAM
	default:
		return nil, fmt.Errorf("invalid proto '%s'", s.Proto)
	}
	netw := "tcp"
	if typ == unix.SOCK_DGRAM {
		netw = "udp"
	}
	port, err := lookupPort(netw, l.Port)
	if err != nil {
		return nil, err
	}
	addrs, err := resolveHost(l.Host, fams)
	if err != nil {
		return nil, err
	}
	var out []*socket
	var first error
	for _, a := range addrs {
		sk, err := bindInet(s.Name, a, port, typ, backlog, tos)
		if err != nil {
			errorf("bind_failed", "service", s.Name, "error", err)
			if first == nil {
				first = err
			}
			continue
		}
		out = append(out, sk)
	}
	if len(out) == 0 {
		if first == nil {
			first = fmt.Errorf("no address for %s", s.Listen)
		}
		return nil, first
	}
	return out, first
}

func lookupPort(netw, port string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := net.DefaultResolver.LookupPort(ctx, netw, port)
	if err != nil {
		return 0, fmt.Errorf("unknown port '%s': %v", port, err)
	}
	return p, nil
}

// resolveHost returns the addresses to bind, in getaddrinfo's order for
// AI_PASSIVE: 0.0.0.0 then :: for an empty host.
func resolveHost(host string, fams []int) ([]netip.Addr, error) {
	want := func(a netip.Addr) bool {
		for _, f := range fams {
			if f == unix.AF_INET && a.Is4() || f == unix.AF_INET6 && !a.Is4() {
				return true
			}
		}
		return false
	}
	var cands []netip.Addr
	switch {
	case host == "":
		cands = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	default:
		if a, err := netip.ParseAddr(host); err == nil {
			cands = []netip.Addr{a.Unmap()}
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("cannot resolve '%s': %v", host, err)
		}
		for _, a := range ips {
			cands = append(cands, a.Unmap())
		}
	}
	var out []netip.Addr
	for _, a := range cands {
		if want(a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no address of the wanted family for '%s'", host)
	}
	return out, nil
}

func bindInet(name string, a netip.Addr, port, typ, backlog, tos int) (*socket, error) {
	fam, family := unix.AF_INET, "ipv4"
	var sa unix.Sockaddr
	if a.Is4() {
		sa = &unix.SockaddrInet4{Port: port, Addr: a.As4()}
	} else {
		fam, family = unix.AF_INET6, "ipv6"
		sa6 := &unix.SockaddrInet6{Port: port, Addr: a.As16()}
		if z := a.Zone(); z != "" {
			if ifi, err := net.InterfaceByName(z); err == nil {
				sa6.ZoneId = uint32(ifi.Index)
			}
		}
		sa = sa6
	}
	id := name + "/" + family
	fd, err := unix.Socket(fam, typ|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, &bindError{"open", id, err}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		errorf("setsockopt_so_reuseaddr_failed", "service", id, "error", err)
	}
	if fam == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			errorf("setsockopt_ipv6_v6only_failed", "service", id, "error", err)
		}
	}
	if tos != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_IP, unix.IP_TOS, tos); err != nil {
			warnf("setsockopt_ip_tos_failed", "service", id, "error", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, &bindError{"bind to", id, err}
	}
	if typ == unix.SOCK_STREAM {
		if err := unix.Listen(fd, backlog); err != nil {
			unix.Close(fd)
			return nil, &bindError{"listen to", id, err}
		}
	}
	addr := net.JoinHostPort(a.String(), fmt.Sprint(port))
	return &socket{fd: fd, file: os.NewFile(uintptr(fd), id), family: family, addr: addr,
		closed: make(chan struct{}),
		rebind: func() (*socket, error) { return bindInet(name, a, port, typ, backlog, tos) }}, nil
}

func bindUnix(name, path string, typ, backlog int) (*socket, error) {
	id := name + "/unix"
	fd, err := unix.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, &bindError{"open", id, err}
	}
	os.Remove(path)
	old := syscall.Umask(0)
	err = unix.Bind(fd, &unix.SockaddrUnix{Name: path})
	syscall.Umask(old)
	if err != nil {
		unix.Close(fd)
		return nil, &bindError{"bind to", id, err}
	}
	os.Chmod(path, 0o777)
	if typ == unix.SOCK_STREAM {
		if err := unix.Listen(fd, backlog); err != nil {
			unix.Close(fd)
			return nil, &bindError{"listen to", id, err}
		}
	}
	return &socket{fd: fd, file: os.NewFile(uintptr(fd), id), family: "unix", addr: path,
		closed: make(chan struct{}),
		rebind: func() (*socket, error) { return bindUnix(name, path, typ, backlog) }}, nil
}

// close closes the socket in master. Children keep their own copies.
func (s *socket) close() {
	if s.file != nil {
		s.file.Close() // closes fd too
		s.file = nil
		s.fd = -1
		close(s.closed)
	}
}
