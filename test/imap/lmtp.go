package imap

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"time"
)

// lmtpSender is the envelope sender of every delivery a script makes.
const lmtpSender = "sender@example.net"

// lmtp delivers a message file to the step's recipients (RFC 2033) and
// records each recipient's reply code: "L: alice 250".
func (ru *run) lmtp(st *Step) error {
	msg, err := ru.r.message(st.Message)
	if err != nil {
		return err
	}
	var rcpts []string
	for _, r := range st.Rcpts {
		if !strings.Contains(r, "@") {
			r += "@localhost"
		}
		rcpts = append(rcpts, r)
	}
	codes, err := Deliver(ru.r.Target.Addr("lmtp"), ru.r.Timeout, lmtpSender, rcpts, msg)
	if err != nil {
		return fmt.Errorf("lmtp: %v", err)
	}
	b := ru.block()
	for i, r := range st.Rcpts {
		b.Lines = append(b.Lines, fmt.Sprintf("L: %s %d", r, codes[i]))
	}
	return nil
}

// Deliver sends msg (CRLF lines) over LMTP and returns each recipient's
// final reply code: the RCPT reply when refused, else its DATA reply.
func Deliver(addr string, timeout time.Duration, from string, rcpts []string, msg []byte) ([]int, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	br := bufio.NewReader(c)
	reply := func() (int, string, error) {
		var text strings.Builder
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return 0, "", err
			}
			l = strings.TrimRight(l, "\r\n")
			if len(l) < 4 {
				return 0, "", fmt.Errorf("short reply %q", l)
			}
			text.WriteString(l[4:] + " ")
			if l[3] == ' ' {
				var code int
				if _, err := fmt.Sscanf(l[:3], "%d", &code); err != nil {
					return 0, "", fmt.Errorf("bad reply %q", l)
				}
				return code, text.String(), nil
			}
		}
	}
	cmd := func(line string, want int) error {
		if _, err := c.Write([]byte(line + "\r\n")); err != nil {
			return err
		}
		code, text, err := reply()
		if err != nil {
			return err
		}
		if code/100 != want/100 {
			return fmt.Errorf("%s: %d %s", line, code, text)
		}
		return nil
	}
	if code, text, err := reply(); err != nil || code != 220 {
		return nil, fmt.Errorf("greeting: %d %s %v", code, text, err)
	}
	if err := cmd("LHLO gyrus-test", 250); err != nil {
		return nil, err
	}
	if err := cmd("MAIL FROM:<"+from+">", 250); err != nil {
		return nil, err
	}
	codes := make([]int, len(rcpts))
	var accepted []int
	for i, r := range rcpts {
		if _, err := c.Write([]byte("RCPT TO:<" + r + ">\r\n")); err != nil {
			return nil, err
		}
		code, _, err := reply()
		if err != nil {
			return nil, err
		}
		codes[i] = code
		if code/100 == 2 {
			accepted = append(accepted, i)
		}
	}
	if len(accepted) == 0 {
		cmd("QUIT", 221)
		return codes, nil
	}
	if err := cmd("DATA", 354); err != nil {
		return nil, err
	}
	var data bytes.Buffer
	for _, line := range bytes.SplitAfter(msg, []byte("\r\n")) {
		if bytes.HasPrefix(line, []byte(".")) {
			data.WriteByte('.')
		}
		data.Write(line)
	}
	if !bytes.HasSuffix(msg, []byte("\r\n")) {
		data.WriteString("\r\n")
	}
	data.WriteString(".\r\n")
	if _, err := c.Write(data.Bytes()); err != nil {
		return nil, err
	}
	for _, i := range accepted {
		code, _, err := reply()
		if err != nil {
			return nil, err
		}
		codes[i] = code
	}
	cmd("QUIT", 221)
	return codes, nil
}
