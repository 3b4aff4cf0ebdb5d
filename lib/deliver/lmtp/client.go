package lmtp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"gyrus/lib/deliver"
)

// Client is the client side of LMTP as Cyrus's deliver(8) speaks it
// (backend_connect and lmtp_runtxn in lmtpengine.c): one transaction at
// a time, no pipelining, the message dot-stuffed on the way.
type Client struct {
	conn    net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	caps    map[string]bool
	Timeout time.Duration // per reply; 0: none
}

// Dial connects, reads the greeting and says LHLO with name (Cyrus's
// deliver says "deliver"), noting the extensions offered.
func Dial(network, addr, name string) (*Client, error) {
	conn, err := net.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	c := &Client{conn: conn, br: bufio.NewReader(conn), bw: bufio.NewWriter(conn), caps: map[string]bool{}}
	if err := c.hello(name); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// Close ends the connection (QUIT first).
func (c *Client) Close() error {
	c.bw.WriteString("QUIT\r\n")
	c.bw.Flush()
	c.readReply()
	return c.conn.Close()
}

// Has reports whether the server offered an extension (AUTH, STARTTLS,
// PIPELINING, IGNOREQUOTA).
func (c *Client) Has(ext string) bool { return c.caps[ext] }

func (c *Client) hello(name string) error {
	code, _, err := c.readReply()
	if err != nil {
		return err
	}
	if code != 220 {
		return fmt.Errorf("lmtp: greeting %d", code)
	}
	c.bw.WriteString("LHLO " + name + "\r\n")
	if err := c.bw.Flush(); err != nil {
		return err
	}
	code, lines, err := c.readReply()
	if err != nil {
		return err
	}
	if code != 250 {
		return fmt.Errorf("lmtp: LHLO answered %d", code)
	}
	for i, l := range lines {
		if i == 0 || len(l) < 4 {
			continue // the server's name
		}
		w := strings.Fields(l[4:])
		if len(w) > 0 {
			c.caps[strings.ToUpper(w[0])] = true
		}
	}
	return nil
}

// readReply reads one reply (all its lines) and its code; a reply that
// cannot be read counts as 400 (Cyrus getlastresp).
func (c *Client) readReply() (int, []string, error) {
	var lines []string
	code := 0
	for {
		if c.Timeout > 0 {
			c.conn.SetReadDeadline(time.Now().Add(c.Timeout))
		}
		line, err := c.br.ReadString('\n')
		if err != nil {
			return 400, lines, err
		}
		lines = append(lines, line)
		if code == 0 {
			code = askCode(line)
		}
		if len(line) < 4 || line[3] != '-' {
			return code, lines, nil
		}
	}
}

func askCode(s string) int {
	if len(s) < 3 || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[2]) {
		return -1
	}
	return int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
}

// Result is how a recipient fared.
type Result int

// Results (Cyrus RCPT_GOOD, RCPT_TEMPFAIL, RCPT_PERMFAIL).
const (
	Good Result = iota
	TempFail
	PermFail
)

// Rcpt is one recipient of a transaction.
type Rcpt struct {
	Addr        string
	IgnoreQuota bool

	Result Result
	Code   deliver.Code // Cyrus's reading of the reply (revconvert_lmtp)
	Reply  []string     // the reply lines
}

// Txn is one message for several recipients.
type Txn struct {
	From  string // envelope sender; "" is <>
	Auth  string // MAIL FROM AUTH= ("" sends AUTH=<> when AUTH is offered)
	Rcpts []*Rcpt
	// Data is the message; unless DotStuffed it is converted as Cyrus's
	// pushmsg does (bare LF to CRLF, lone CR removed, dots doubled, the
	// terminating dot added).
	Data       io.Reader
	DotStuffed bool
}

func isGood(code int) bool { return code/100 == 2 }
func isTemp(code int) bool { return code/100 == 4 }
func isPerm(code int) bool { return code/100 == 5 }

// Run runs the transaction and fills in each recipient's result (Cyrus
// lmtp_runtxn). The error is for a failure that hit every recipient.
func (c *Client) Run(t *Txn) error {
	failAll := func(code int, err error) error {
		for _, r := range t.Rcpts {
			switch {
			case isGood(code):
				r.Result, r.Code = Good, 0
			case isTemp(code):
				r.Result, r.Code = TempFail, deliver.CodeAgain
			default:
				r.Result, r.Code = PermFail, deliver.CodeProtocolError
			}
		}
		return err
	}
	send := func(line string) (int, []string, error) {
		c.bw.WriteString(line + "\r\n")
		if err := c.bw.Flush(); err != nil {
			return 400, nil, err
		}
		return c.readReply()
	}
	code, _, err := send("RSET")
	if err != nil || !isGood(code) {
		return failAll(code, errOr(err, "RSET refused"))
	}
	mail := "MAIL FROM:"
	switch {
	case t.From == "":
		mail += "<>"
	case t.From[0] == '<':
		mail += t.From
	default:
		mail += "<" + t.From + ">"
	}
	if c.caps["AUTH"] {
		if t.Auth != "" {
			mail += " AUTH=" + t.Auth
		} else {
			mail += " AUTH=<>"
		}
	}
	if code, _, err = send(mail); err != nil || !isGood(code) {
		return failAll(code, errOr(err, "MAIL refused"))
	}
	oneGood := false
	for _, r := range t.Rcpts {
		cmd := "RCPT TO:<" + r.Addr + ">"
		if r.IgnoreQuota && c.caps["IGNOREQUOTA"] {
			cmd += " IGNOREQUOTA"
		}
		code, lines, err := send(cmd)
		if err != nil {
			return failAll(code, err)
		}
		r.Reply = lines
		r.Code = revConvert(lines[len(lines)-1])
		switch {
		case isGood(code):
			oneGood = true
			r.Result = Good
		case isTemp(code):
			r.Result = TempFail
		case isPerm(code):
			r.Result = PermFail
		default:
			return failAll(400, fmt.Errorf("lmtp: RCPT answered %q", lines[0]))
		}
	}
	if !oneGood {
		return nil
	}
	code, _, err = send("DATA")
	if err != nil {
		return failAll(code, err)
	}
	if code != 354 {
		if isGood(code) {
			code = 400
		}
		return failAll(code, fmt.Errorf("lmtp: DATA answered %d", code))
	}
	if t.DotStuffed {
		_, err = io.Copy(c.bw, t.Data)
	} else {
		err = pushMessage(t.Data, c.bw)
	}
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		return failAll(400, err)
	}
	for _, r := range t.Rcpts {
		if r.Result != Good {
			continue
		}
		code, lines, err := c.readReply()
		if err != nil {
			return failAll(400, err)
		}
		r.Reply, r.Code = lines, revConvert(lines[len(lines)-1])
		switch {
		case isGood(code):
			r.Result = Good
		case isPerm(code):
			r.Result = PermFail
		default:
			r.Result = TempFail
		}
	}
	return nil
}

func errOr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New("lmtp: " + msg)
}

// pushMessage is Cyrus's pushmsg: the message read in pieces of at most
// 8189 bytes, a bare LF at the end of a piece made CRLF, lone CRs
// removed, a dot doubled at the start of a line, the line cut at a NUL
// (C strings), and the end marked with ".CRLF" (after a CRLF if the last
// line had none).
func pushMessage(in io.Reader, out *bufio.Writer) error {
	r := newReader(nil, in, nil, 0)
	var buf [8192]byte
	hadEnd := true
	for {
		raw := r.fgets(buf[:0], 8190)
		if raw == nil {
			break
		}
		line := cstr(raw)
		if hadEnd && len(line) > 0 && line[0] == '.' {
			out.WriteByte('.')
		}
		n := len(line)
		switch {
		case n > 0 && line[n-1] == '\n':
			if n == 1 || line[n-2] != '\r' {
				line = append(line[:n-1:n-1], '\r', '\n')
			}
			hadEnd = true
		case n > 0 && line[n-1] == '\r':
			if n == 1 {
				hadEnd = true // "\r\0" (or "\r" at the end): Cyrus lets it be
			} else {
				r.ungetc('\r')
				line = line[:n-1]
				hadEnd = false
			}
		default:
			hadEnd = false
		}
		line = removeLoneCR(line)
		out.Write(line)
	}
	if r.err != nil && r.err != io.EOF {
		return r.err
	}
	if !hadEnd {
		out.WriteString("\r\n")
	}
	out.WriteString(".\r\n")
	return nil
}

// revConvert is Cyrus's revconvert_lmtp: the IMAP error a reply means,
// read from its last line.
func revConvert(s string) deliver.Code {
	code := askCode(s)
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	switch code {
	case 250, 251:
		return 0
	case 451:
		switch {
		case at(4) == '4' && at(6) == '3':
			if at(8) == '1' {
				return deliver.CodeNoSpace
			}
			return deliver.CodeIO
		case at(4) == '4' && at(6) == '4':
			return deliver.CodeServerUnavailable
		case at(4) == '4' && at(6) == '2':
			if at(8) == '1' {
				return deliver.CodeMailboxMoved
			}
			return deliver.CodeMailboxBadFormat
		}
		return deliver.CodeIO
	case 452:
		return deliver.CodeQuotaExceeded
	case 550:
		if at(4) == '5' && at(6) == '7' {
			return deliver.CodePermissionDenied
		} else if at(4) == '5' && at(6) == '1' {
			return deliver.CodeMailboxNonexistent
		}
		return deliver.CodePermissionDenied
	case 552:
		if at(6) == '2' {
			return deliver.CodeQuotaExceeded
		} else if at(6) == '3' {
			return deliver.CodeMessageTooLarge
		}
		return deliver.CodeQuotaExceeded
	case 554:
		return deliver.CodeMessageBadHeader
	}
	switch {
	case isGood(code):
		return 0
	case isPerm(code):
		return deliver.CodeProtocolError
	}
	return deliver.CodeAgain
}
