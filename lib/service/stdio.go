package service

import (
	"net"
	"os"
	"time"
)

// stdioConn is the -X session: read stdin, write stdout. When stdin is a
// socket (inetd style), the socket itself is used instead.
type stdioConn struct {
	in, out *os.File
}

func stdioSession() net.Conn {
	if c, err := net.FileConn(os.Stdin); err == nil {
		return c
	}
	return &stdioConn{in: os.Stdin, out: os.Stdout}
}

func (c *stdioConn) Read(b []byte) (int, error)  { return c.in.Read(b) }
func (c *stdioConn) Write(b []byte) (int, error) { return c.out.Write(b) }
func (c *stdioConn) Close() error {
	c.in.Close()
	return c.out.Close()
}
func (c *stdioConn) LocalAddr() net.Addr  { return stdioAddr{} }
func (c *stdioConn) RemoteAddr() net.Addr { return stdioAddr{} }

func (c *stdioConn) SetDeadline(t time.Time) error {
	c.in.SetDeadline(t)
	return c.out.SetDeadline(t)
}
func (c *stdioConn) SetReadDeadline(t time.Time) error  { return c.in.SetReadDeadline(t) }
func (c *stdioConn) SetWriteDeadline(t time.Time) error { return c.out.SetWriteDeadline(t) }

type stdioAddr struct{}

func (stdioAddr) Network() string { return "stdio" }
func (stdioAddr) String() string  { return "stdio" }
