// Package saslauthd is a client of Cyrus SASL's saslauthd daemon, the
// password checker selected by "sasl_pwcheck_method: saslauthd".
//
// Protocol (saslauthd/ipc_unix.c and lib/checkpw.c of Cyrus SASL): over
// a unix stream socket (sasl_saslauthd_path, default
// /var/run/saslauthd/mux), the client sends four counted strings, each a
// 16-bit big-endian length then the bytes: login, password, service,
// realm. The daemon answers with one counted string that starts with
// "OK" (accepted) or "NO" (rejected), followed by a reason, e.g.
// `OK "Success."` or `NO "authentication failed"`. One request per
// connection.
//
// Invariants: no state is shared between calls (safe for concurrent
// use); every call has a deadline; the password is never logged or put
// in an error.
package saslauthd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// DefaultPath is libsasl's default socket (Debian's run directory).
const DefaultPath = "/var/run/saslauthd/mux"

// DefaultTimeout bounds a call when the caller's context has no deadline.
const DefaultTimeout = 30 * time.Second

// maxResponse is libsasl's response buffer; longer answers are cut.
const maxResponse = 1024

// Client asks one saslauthd daemon.
type Client struct {
	Path    string        // socket path; "" = DefaultPath
	Timeout time.Duration // 0 = DefaultTimeout
}

// ErrUnavailable wraps failures to reach or understand the daemon (a
// temporary failure for the caller, not a wrong password).
var ErrUnavailable = errors.New("saslauthd unavailable")

// Check asks the daemon whether password is right for login. It returns
// ok=false with the daemon's reason when the daemon says NO, and an
// error (wrapping ErrUnavailable) when no answer could be had.
func (c *Client) Check(ctx context.Context, login, password, service, realm string) (ok bool, reason string, err error) {
	req, err := Request(login, password, service, realm)
	if err != nil {
		return false, "", err
	}
	path := c.Path
	if path == "" {
		path = DefaultPath
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if _, has := ctx.Deadline(); !has {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return false, "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer conn.Close()
	if dl, has := ctx.Deadline(); has {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(req); err != nil {
		return false, "", fmt.Errorf("%w: write %s: %v", ErrUnavailable, path, err)
	}
	var hdr [2]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return false, "", fmt.Errorf("%w: read %s: %v", ErrUnavailable, path, err)
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	if n > maxResponse-1 {
		n = maxResponse - 1
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(conn, body); err != nil {
		return false, "", fmt.Errorf("%w: read %s: %v", ErrUnavailable, path, err)
	}
	ok, reason, err = ParseResponse(append(hdr[:], body...))
	if err != nil {
		return false, "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return ok, reason, nil
}

// Request encodes one query. Each string must fit a 16-bit count (the
// daemon itself refuses strings longer than its own limit, 256 bytes
// in 2.1.28, with a NO).
func Request(login, password, service, realm string) ([]byte, error) {
	var b []byte
	for _, s := range []string{login, password, service, realm} {
		if len(s) > 0xffff {
			return nil, fmt.Errorf("saslauthd: request field of %d bytes is too long", len(s))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

// ParseResponse decodes a counted answer. Like libsasl, anything that
// does not start with "OK" is a rejection, and an answer shorter than two
// bytes is a protocol error.
func ParseResponse(b []byte) (ok bool, reason string, err error) {
	if len(b) < 2 {
		return false, "", errors.New("saslauthd: short response")
	}
	n := int(binary.BigEndian.Uint16(b))
	body := b[2:]
	if n < 2 {
		return false, "", errors.New("saslauthd: bad response (no OK/NO)")
	}
	if len(body) < n {
		if len(body) < maxResponse-1 {
			return false, "", errors.New("saslauthd: truncated response")
		}
		n = len(body)
	}
	body = body[:n]
	reason = strings.TrimSpace(string(body[2:]))
	reason = strings.TrimSuffix(strings.TrimPrefix(reason, `"`), `"`)
	return string(body[:2]) == "OK", reason, nil
}
