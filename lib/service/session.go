package service

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"gyrus/lib/log"
	"gyrus/lib/proc"
)

// UnixSocketHost is the client host of a connection that is not over
// TCP (Cyrus's UNIX_SOCKET).
const UnixSocketHost = "[unix socket]"

// Session is one client connection.
type Session struct {
	// ID numbers the sessions of this process from 1.
	ID uint64
	// Service is the cyrus.conf entry name the session came in on.
	Service string
	// Started is when the connection was accepted.
	Started time.Time
	// ClientHost is "name [ip]" (reverse lookup) or "[ip]", or
	// "[unix socket]", as Cyrus's get_clienthost.
	ClientHost string
	// LocalIP and RemoteIP are "ip;port" (SASL's form), empty for UNIX
	// sockets.
	LocalIP, RemoteIP string
	// Env is the process environment.
	Env *Env

	proc *proc.Session
	mu   sync.Mutex
	info proc.Info
}

func newSession(id uint64, env *Env, conn net.Conn, pp *proc.Process, reverse bool) *Session {
	s := &Session{ID: id, Service: env.Service, Started: time.Now(), Env: env}
	s.ClientHost, s.LocalIP, s.RemoteIP = clientHost(conn, reverse)
	if pp != nil {
		s.proc = pp.Session(id)
	}
	s.info = proc.Info{Service: env.Service, Host: s.ClientHost}
	s.writeProc()
	return s
}

// clientHost describes the peer of conn the way Cyrus's get_clienthost
// does. The reverse lookup is bounded to two seconds.
func clientHost(conn net.Conn, reverse bool) (host, local, remote string) {
	ra, ok1 := addrPort(conn.RemoteAddr())
	la, ok2 := addrPort(conn.LocalAddr())
	if !ok1 || !ok2 {
		return UnixSocketHost, "", ""
	}
	host = "[" + ra.Addr().String() + "]"
	if reverse {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		names, err := net.DefaultResolver.LookupAddr(ctx, ra.Addr().String())
		cancel()
		if err == nil && len(names) > 0 {
			host = strings.TrimSuffix(names[0], ".") + " " + host
		}
	}
	return host, la.Addr().String() + ";" + strconv.Itoa(int(la.Port())),
		ra.Addr().String() + ";" + strconv.Itoa(int(ra.Port()))
}

func addrPort(a net.Addr) (netip.AddrPort, bool) {
	switch t := a.(type) {
	case *net.TCPAddr:
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
	case *net.UDPAddr:
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
	}
	return netip.AddrPort{}, false
}

// SetUser records the authenticated user in the proc file.
func (s *Session) SetUser(user string) { s.update(func(i *proc.Info) { i.User = user }) }

// SetMailbox records the selected mailbox (or "" when none is).
func (s *Session) SetMailbox(mbox string) { s.update(func(i *proc.Info) { i.Mailbox = mbox }) }

// SetCommand records the command being run.
func (s *Session) SetCommand(cmd string) { s.update(func(i *proc.Info) { i.Command = cmd }) }

// Info returns what the proc file says.
func (s *Session) Info() proc.Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}

func (s *Session) update(f func(*proc.Info)) {
	s.mu.Lock()
	f(&s.info)
	s.mu.Unlock()
	s.writeProc()
}

func (s *Session) writeProc() {
	if s.proc == nil {
		return
	}
	if err := s.proc.Set(s.Info()); err != nil {
		log.Error("proc_write_failed", "session", s.ID, "error", err)
	}
}

func (s *Session) close() {
	if s.proc != nil {
		s.proc.Close()
	}
}
