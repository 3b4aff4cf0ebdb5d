package service

import (
	"net"
	"time"

	"gyrus/lib/config"
)

// keepalive is the tcp_keepalive* settings (Cyrus lib/util.c
// tcp_enable_keepalive). Cyrus leaves sockets alone when tcp_keepalive is
// off; Go turns keepalive on by default for accepted connections, so we
// turn it off explicitly to behave the same.
type keepalive struct {
	on             bool
	count          int
	idle, interval time.Duration
}

func keepaliveFrom(c *config.Config) keepalive {
	if c == nil {
		return keepalive{}
	}
	return keepalive{
		on:       c.TcpKeepalive(),
		count:    c.TcpKeepaliveCnt(),
		idle:     c.TcpKeepaliveIdle(),
		interval: c.TcpKeepaliveIntvl(),
	}
}

// apply sets keepalive on a TCP connection; other connections are left
// alone.
func (k keepalive) apply(conn net.Conn) {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return
	}
	if !k.on {
		tc.SetKeepAlive(false)
		return
	}
	// Zero means "system default" in Cyrus; in KeepAliveConfig, -1 does.
	def := func(d time.Duration) time.Duration {
		if d <= 0 {
			return -1
		}
		return d
	}
	cnt := k.count
	if cnt <= 0 {
		cnt = -1
	}
	tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: def(k.idle), Interval: def(k.interval), Count: cnt})
}
