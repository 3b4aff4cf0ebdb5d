package lmtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"time"
)

// errIdle is the read error of a client that said nothing for the
// timeout (Cyrus prot_error "idle for too long").
var errIdle = errors.New("idle for too long")

// reader is the input side of a session, with what Cyrus's protstream
// gives lmtpengine: bytes one at a time, pushing back what was just
// read, line reads of bounded size, a read timeout, and the output
// flushed whenever a read has to wait for the client (prot_setflushonread),
// so that pipelined commands get their answers in one write.
type reader struct {
	br      *bufio.Reader
	back    []byte // pushed back, last in first out
	conn    net.Conn
	flush   func() error
	timeout time.Duration
	err     error  // sticky read error
	line    []byte // copyBody's line buffer, kept for the next message
}

func newReader(conn net.Conn, r io.Reader, flush func() error, timeout time.Duration) *reader {
	return &reader{br: bufio.NewReaderSize(r, 16384), conn: conn, flush: flush, timeout: timeout}
}

// reset switches to a new byte source (after STARTTLS), dropping what
// was buffered (Cyrus discards input pipelined after STARTTLS).
func (r *reader) reset(conn net.Conn, src io.Reader) {
	r.conn = conn
	r.br.Reset(src)
	r.back = r.back[:0]
}

// discardBuffered drops input already received but not read.
func (r *reader) discardBuffered() {
	r.back = r.back[:0]
	r.br.Discard(r.br.Buffered())
}

// wait makes sure a byte is buffered, flushing output and waiting (with
// the timeout) when none is.
func (r *reader) wait() error {
	if r.err != nil {
		return r.err
	}
	if r.br.Buffered() > 0 {
		return nil
	}
	if r.flush != nil {
		if err := r.flush(); err != nil {
			r.err = err
			return err
		}
	}
	if r.conn != nil && r.timeout > 0 {
		r.conn.SetReadDeadline(time.Now().Add(r.timeout))
	}
	_, err := r.br.Peek(1)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = errIdle
		}
		r.err = err
	}
	return err
}

// getc reads one byte; -1 at the end of input or on error.
func (r *reader) getc() int {
	if n := len(r.back); n > 0 {
		c := r.back[n-1]
		r.back = r.back[:n-1]
		return int(c)
	}
	if r.wait() != nil {
		return -1
	}
	c, err := r.br.ReadByte()
	if err != nil {
		r.err = err
		return -1
	}
	return int(c)
}

// ungetc pushes back a byte that was just read (-1 is ignored).
func (r *reader) ungetc(c int) {
	if c >= 0 {
		r.back = append(r.back, byte(c))
	}
}

// fgets is Cyrus's prot_fgets(buf, size): up to size-1 bytes, or through
// the first '\n'. It returns nil when nothing could be read.
func (r *reader) fgets(dst []byte, size int) []byte {
	max := size - 1
	dst = dst[:0]
	for len(r.back) > 0 && len(dst) < max {
		c := r.getc()
		dst = append(dst, byte(c))
		if c == '\n' {
			return dst
		}
	}
	for len(dst) < max {
		if r.wait() != nil {
			break
		}
		n := r.br.Buffered()
		if n > max-len(dst) {
			n = max - len(dst)
		}
		b, _ := r.br.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			dst = append(dst, b[:i+1]...)
			r.br.Discard(i + 1)
			return dst
		}
		dst = append(dst, b...)
		r.br.Discard(n)
	}
	if len(dst) == 0 {
		return nil
	}
	return dst
}
