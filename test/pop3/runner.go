package pop3

import (
	"bufio"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The administrator of both servers (cyrus-ref's).
const (
	AdminUser     = "cyrus"
	AdminPassword = "cyrus-admin-pw"
)

// Target is a running server that scripts are played against.
type Target interface {
	Name() string // "cyrus" or "gyrus"
	Addr(proto string) string
	// CreateUser gives the user a password and an INBOX.
	CreateUser(u User) error
	// MsgDir is {configdirectory}/msg (shutdown files).
	MsgDir() string
	// WriteFile writes a file the server must be able to read.
	WriteFile(path string, data []byte) error
	// Deny puts the user on the deny list for pop3 (cyr_deny).
	Deny(user, msg string) error
}

// Runner plays scripts against a Target.
type Runner struct {
	Target   Target
	Messages string
	Timeout  time.Duration
}

// Transcript is the normalized result of one play: one block per step.
type Transcript struct {
	Blocks []Block
}

// Block is a step (its script line) and what it produced.
type Block struct {
	Head  string
	Lines []string
}

// Format renders a transcript; header lines become "#" comments.
func (t *Transcript) Format(header string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(header), "\n") {
		if l != "" {
			b.WriteString("# " + l + "\n")
		}
	}
	for _, bl := range t.Blocks {
		b.WriteString(bl.Head + "\n")
		for _, l := range bl.Lines {
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String()
}

// Failed returns the "!!" lines: the run itself went wrong.
func (t *Transcript) Failed() []string {
	var out []string
	for _, b := range t.Blocks {
		for _, l := range b.Lines {
			if strings.HasPrefix(l, "!!") {
				out = append(out, b.Head+": "+l)
			}
		}
	}
	return out
}

// ParseTranscript reads a formatted transcript.
func ParseTranscript(text string) (*Transcript, error) {
	t := &Transcript{}
	for i, l := range strings.Split(text, "\n") {
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "    "):
			if len(t.Blocks) == 0 {
				return nil, fmt.Errorf("line %d: output before any step", i+1)
			}
			b := &t.Blocks[len(t.Blocks)-1]
			b.Lines = append(b.Lines, l[4:])
		default:
			t.Blocks = append(t.Blocks, Block{Head: l})
		}
	}
	return t, nil
}

// Diff compares two transcripts block by block and describes the first
// differences ("" when equal).
func Diff(want, got *Transcript, max int) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(want.Blocks) || i < len(got.Blocks); i++ {
		var w, g Block
		if i < len(want.Blocks) {
			w = want.Blocks[i]
		}
		if i < len(got.Blocks) {
			g = got.Blocks[i]
		}
		if w.Head == g.Head && strings.Join(w.Lines, "\n") == strings.Join(g.Lines, "\n") {
			continue
		}
		fmt.Fprintf(&b, "step %d: %s\n", i+1, w.Head)
		if w.Head != g.Head {
			fmt.Fprintf(&b, "  got step %q\n", g.Head)
		}
		for _, l := range w.Lines {
			b.WriteString("  - " + l + "\n")
		}
		for _, l := range g.Lines {
			b.WriteString("  + " + l + "\n")
		}
		if n++; n >= max {
			break
		}
	}
	return b.String()
}

// popConn is one POP3 connection of a script (Cn).
type popConn struct {
	n      int
	conn   net.Conn
	br     *bufio.Reader
	chal   string // APOP challenge from the greeting
	closed bool   // the server closed it: later steps only say so
}

// imapConn is a user's IMAP connection within a script.
type imapConn struct {
	conn net.Conn
	br   *bufio.Reader
	tag  int
}

type run struct {
	r     *Runner
	s     *Script
	tr    *Transcript
	pops  map[int]*popConn
	imaps map[string]*imapConn
	pw    map[string]string
}

var (
	errStop   = errors.New("stop")
	errClosed = errors.New("closed") // recorded; the step ends there
)

// Run plays a script and returns its normalized transcript; a failure of
// the run itself is written as a "!!" line and ends it.
func (r *Runner) Run(s *Script) *Transcript {
	ru := &run{r: r, s: s, tr: &Transcript{}, pops: map[int]*popConn{}, imaps: map[string]*imapConn{},
		pw: map[string]string{AdminUser: AdminPassword}}
	for _, u := range s.Users {
		ru.pw[u.Name] = u.Password
	}
	defer ru.closeAll()
	for i := range s.Steps {
		st := &s.Steps[i]
		ru.tr.Blocks = append(ru.tr.Blocks, Block{Head: st.Src})
		if err := ru.step(st); err != nil && err != errClosed {
			if err != errStop {
				ru.out("!! %v", err)
			}
			break
		}
	}
	ru.normalize()
	return ru.tr
}

func (ru *run) out(format string, a ...any) {
	b := &ru.tr.Blocks[len(ru.tr.Blocks)-1]
	b.Lines = append(b.Lines, fmt.Sprintf(format, a...))
}

func (ru *run) closeAll() {
	for _, p := range ru.pops {
		p.conn.Close()
	}
	for _, c := range ru.imaps {
		c.conn.Close()
	}
}

func (ru *run) step(st *Step) error {
	switch st.Kind {
	case StepConnect:
		c, err := net.DialTimeout("tcp", ru.r.Target.Addr("pop3"), ru.r.Timeout)
		if err != nil {
			return err
		}
		p := &popConn{n: st.Session, conn: c, br: bufio.NewReader(c)}
		ru.pops[st.Session] = p
		l, err := ru.readLine(p)
		if err != nil {
			return err
		}
		if m := reChallenge.FindString(l); m != "" {
			p.chal = m
		}
		ru.out("S%d: %s", p.n, l)
		return nil
	case StepSleep:
		time.Sleep(st.Dur)
		return nil
	case StepAppend:
		return ru.appendMsg(st)
	case StepIMAP, StepIMAPShow:
		return ru.imap(st)
	case StepShutdown:
		return ru.r.Target.WriteFile(filepath.Join(ru.r.Target.MsgDir(), "shutdown"), []byte(st.Text+"\n"))
	case StepNoShutdown:
		err := os.Remove(filepath.Join(ru.r.Target.MsgDir(), "shutdown"))
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
		return err
	case StepDeny:
		return ru.r.Target.Deny(st.Who, st.Text)
	}
	p := ru.pops[st.Session]
	if p == nil {
		return fmt.Errorf("C%d is not connected", st.Session)
	}
	if p.closed {
		ru.out("S%d: (closed)", p.n)
		return nil
	}
	switch st.Kind {
	case StepLine:
		line := expand(st.Text)
		if err := ru.send(p, line+"\r\n"); err != nil {
			return err
		}
		return ru.answer(p, line)
	case StepSend:
		return ru.send(p, st.Text)
	case StepRead:
		for i := 0; i < st.N; i++ {
			l, err := ru.readLine(p)
			if err != nil {
				return err
			}
			ru.out("S%d: %s", p.n, l)
		}
		return nil
	case StepReadMulti:
		return ru.readMulti(p, "")
	case StepAPOP:
		if p.chal == "" {
			return errors.New("the greeting has no APOP challenge")
		}
		sum := md5.Sum([]byte(p.chal + st.Args[0]))
		line := "APOP " + st.Who + " " + hex.EncodeToString(sum[:])
		if err := ru.send(p, line+"\r\n"); err != nil {
			return err
		}
		return ru.answer(p, line)
	case StepSTARTTLS:
		tc := tls.Client(p.conn, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
		tc.SetDeadline(time.Now().Add(ru.r.Timeout))
		if err := tc.Handshake(); err != nil {
			ru.out("S%d: (handshake failed)", p.n)
			return errStop
		}
		tc.SetDeadline(time.Time{})
		p.conn, p.br = tc, bufio.NewReader(tc)
		ru.out("S%d: (TLS)", p.n)
		return nil
	case StepClosed:
		p.conn.SetReadDeadline(time.Now().Add(ru.r.Timeout))
		for {
			l, err := p.br.ReadString('\n')
			if l != "" {
				ru.out("S%d: %s", p.n, strings.TrimRight(l, "\r\n"))
			}
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					ru.out("!! S%d: still open", p.n)
					return errStop
				}
				ru.out("S%d: (closed)", p.n)
				delete(ru.pops, st.Session)
				p.conn.Close()
				return nil
			}
		}
	case StepDrop:
		p.conn.Close()
		delete(ru.pops, st.Session)
		return nil
	}
	return fmt.Errorf("step kind %d", st.Kind)
}

func (ru *run) send(p *popConn, data string) error {
	p.conn.SetWriteDeadline(time.Now().Add(ru.r.Timeout))
	if _, err := io.WriteString(p.conn, data); err != nil {
		ru.out("S%d: (closed)", p.n)
		p.closed = true
		return errClosed
	}
	return nil
}

func (ru *run) readLine(p *popConn) (string, error) {
	p.conn.SetReadDeadline(time.Now().Add(ru.r.Timeout))
	l, err := p.br.ReadString('\n')
	if err != nil {
		if l != "" {
			ru.out("S%d: %s", p.n, strings.TrimRight(l, "\r\n"))
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			// the server closed the connection: that is an answer too
			ru.out("S%d: (closed)", p.n)
			p.closed = true
			return "", errClosed
		}
		ru.out("!! S%d: %v", p.n, err)
		return "", errStop
	}
	if !strings.HasSuffix(l, "\r\n") {
		ru.out("!! S%d: line without CRLF: %q", p.n, l)
		return "", errStop
	}
	return l[:len(l)-2], nil
}

// answer reads the answer to a line the way a client knows its shape:
// one line, or for +OK to CAPA, RETR, TOP, LIST and UIDL without
// argument and AUTH without argument the lines up to ".".
func (ru *run) answer(p *popConn, sent string) error {
	l, err := ru.readLine(p)
	if err != nil {
		return err
	}
	ru.out("S%d: %s", p.n, l)
	if !strings.HasPrefix(l, "+OK") {
		return nil
	}
	kw, arg, _ := strings.Cut(sent, " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(kw) {
	case "capa", "retr", "top":
	case "list", "uidl", "auth":
		if arg != "" {
			return nil
		}
	default:
		return nil
	}
	return ru.readMulti(p, "")
}

func (ru *run) readMulti(p *popConn, _ string) error {
	for {
		l, err := ru.readLine(p)
		if err != nil {
			return err
		}
		ru.out("S%d: %s", p.n, l)
		if l == "." {
			return nil
		}
	}
}

var reB64 = regexp.MustCompile(`\$b64\(("(?:[^"\\]|\\.)*")\)`)

// expand replaces $b64("go-quoted") by the base64 of the string.
func expand(s string) string {
	return reB64.ReplaceAllStringFunc(s, func(m string) string {
		q, err := strconv.Unquote(reB64.FindStringSubmatch(m)[1])
		if err != nil {
			return m
		}
		return base64.StdEncoding.EncodeToString([]byte(q))
	})
}

// ---- IMAP side ---------------------------------------------------------------

func (ru *run) imapFor(who string) (*imapConn, error) {
	if who == "admin" {
		who = AdminUser
	}
	if c := ru.imaps[who]; c != nil {
		return c, nil
	}
	pw, ok := ru.pw[who]
	if !ok {
		return nil, fmt.Errorf("unknown user %q", who)
	}
	c, err := dialIMAP(ru.r.Target.Addr("imap"), who, pw, ru.r.Timeout)
	if err != nil {
		return nil, err
	}
	ru.imaps[who] = c
	return c, nil
}

func dialIMAP(addr, user, pw string, timeout time.Duration) (*imapConn, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c := &imapConn{conn: conn, br: bufio.NewReader(conn)}
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := c.br.ReadString('\n'); err != nil {
		conn.Close()
		return nil, err
	}
	if _, st, err := c.cmd("LOGIN "+quote(user)+" "+quote(pw), nil, timeout); err != nil || st != "OK" {
		conn.Close()
		return nil, fmt.Errorf("IMAP login %s: %s %v", user, st, err)
	}
	return c, nil
}

func quote(s string) string { return strconv.Quote(s) }

// cmd runs one IMAP command; a literal, when given, is sent after the
// server's continuation. It returns the untagged lines and the status.
func (c *imapConn) cmd(line string, literal []byte, timeout time.Duration) ([]string, string, error) {
	c.tag++
	tag := fmt.Sprintf("p%d", c.tag)
	c.conn.SetDeadline(time.Now().Add(timeout))
	defer c.conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(c.conn, tag+" "+line+"\r\n"); err != nil {
		return nil, "", err
	}
	var untagged []string
	for {
		l, err := c.br.ReadString('\n')
		if err != nil {
			return untagged, "", err
		}
		l = strings.TrimRight(l, "\r\n")
		switch {
		case strings.HasPrefix(l, "+") && literal != nil:
			if _, err := c.conn.Write(append(append([]byte{}, literal...), '\r', '\n')); err != nil {
				return untagged, "", err
			}
			literal = nil
		case strings.HasPrefix(l, tag+" "):
			st, _, _ := strings.Cut(strings.TrimPrefix(l, tag+" "), " ")
			return untagged, st, nil
		default:
			untagged = append(untagged, l)
		}
	}
}

func (ru *run) appendMsg(st *Step) error {
	data, err := os.ReadFile(filepath.Join(ru.r.Messages, st.Args[1]))
	if err != nil {
		return err
	}
	c, err := ru.imapFor(st.Who)
	if err != nil {
		return err
	}
	flags := ""
	if len(st.Args) > 2 {
		flags = "(" + strings.Join(st.Args[2:], " ") + ") "
	}
	_, status, err := c.cmd(fmt.Sprintf("APPEND %s %s{%d}", quote(st.Args[0]), flags, len(data)), data, ru.r.Timeout)
	if err != nil {
		return err
	}
	ru.out("I: %s", status)
	return nil
}

func (ru *run) imap(st *Step) error {
	c, err := ru.imapFor(st.Who)
	if err != nil {
		return err
	}
	untagged, status, err := c.cmd(st.Text, nil, ru.r.Timeout)
	if err != nil {
		return err
	}
	if st.Kind == StepIMAPShow {
		for _, l := range untagged {
			ru.out("I: %s", l)
		}
	}
	ru.out("I: %s", status)
	return nil
}

// ---- normalization -------------------------------------------------------------

var (
	reChallenge = regexp.MustCompile(`<\d+\.\d+@[^>]*>`)
	reImpl      = regexp.MustCompile(`(Cyrus|Gyrus) POP3 \S+`)
	reSessionID = regexp.MustCompile(`SESSIONID=<[^>]*>`)
	reStatus    = regexp.MustCompile(`^\* STATUS (\S+|"[^"]*") \(UIDVALIDITY (\d+)\)`)
	reList      = regexp.MustCompile(`^\* LIST \([^)]*\) (?:"[^"]*"|NIL) (.+)$`)
)

// normalize hides what differs between runs and between the servers
// without meaning: the product and version, the APOP challenge, the
// session id, and the UIDVALIDITY of each mailbox in UIDLs and IMAP
// output (each user's mailboxes are asked for at the end, and every
// value becomes one label).
func (ru *run) normalize() {
	type uv struct{ name, dec, hex string }
	var uvs []uv
	for _, u := range ru.s.Users {
		c, err := dialIMAP(ru.r.Target.Addr("imap"), u.Name, u.Password, ru.r.Timeout)
		if err != nil {
			continue
		}
		lines, _, _ := c.cmd(`LIST "" "*"`, nil, ru.r.Timeout)
		for _, l := range lines {
			m := reList.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			name := m[1]
			if uq, err := strconv.Unquote(name); err == nil {
				name = uq
			}
			st, _, _ := c.cmd("STATUS "+quote(name)+" (UIDVALIDITY)", nil, ru.r.Timeout)
			for _, sl := range st {
				if sm := reStatus.FindStringSubmatch(sl); sm != nil {
					v, _ := strconv.ParseUint(sm[2], 10, 32)
					uvs = append(uvs, uv{name: u.Name + " " + name, dec: sm[2], hex: fmt.Sprintf("%08x", v)})
				}
			}
		}
		c.cmd("LOGOUT", nil, ru.r.Timeout)
		c.conn.Close()
	}
	for bi := range ru.tr.Blocks {
		b := &ru.tr.Blocks[bi]
		for i, l := range b.Lines {
			l = reImpl.ReplaceAllString(l, "<IMPLEMENTATION>")
			l = reChallenge.ReplaceAllString(l, "<CHALLENGE>")
			l = reSessionID.ReplaceAllString(l, "SESSIONID=<ID>")
			for _, u := range uvs {
				// one label for all: mailboxes made in the same second
				// share a value on one server and not on the other
				l = regexp.MustCompile(`\b`+u.dec+`\b`).ReplaceAllString(l, "<UIDVALIDITY>")
				l = strings.ReplaceAll(l, u.hex, "<UIDVALIDITY-HEX>")
			}
			b.Lines[i] = l
		}
	}
}
