package imap

import (
	"bufio"
	"compress/flate"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The administrator both servers are started with (cyrus-ref's default).
const (
	AdminUser     = "cyrus"
	AdminPassword = "cyrus-admin-pw"
)

// Target is a running server a script is played against.
type Target interface {
	// Name is "cyrus" or "gyrus".
	Name() string
	// Addr is host:port of "imap" or "lmtp".
	Addr(proto string) string
}

// Runner plays scripts against a Target.
type Runner struct {
	Target   Target
	Messages string        // directory of the message files ({msg:NAME}, lmtp)
	Timeout  time.Duration // bound of every wait for the server
	Diffs    *Differences

	mu    sync.Mutex
	cache map[string][]byte
}

// session is one client connection of a script (Cn).
type session struct {
	n      int
	conn   net.Conn
	br     *bufio.Reader
	w      io.Writer
	fw     *flate.Writer
	tag    string // tag of the command in progress or last sent
	inCmd  bool   // the server asked for more ("+"): the next line continues the command
	closed bool
}

// run is the state of one play of one script.
type run struct {
	r        *Runner
	s        *Script
	norm     *Normalizer
	tr       *Transcript
	sessions map[int]*session
	setups   map[string]*session
	pw       map[string]string
	nsetup   int
	stopped  bool
}

// idleSettle is how long the runner waits after a "+" to IDLE before the
// next step.
const idleSettle = 300 * time.Millisecond

// errStop ends a run after a failure line was written.
var errStop = errors.New("run stopped")

// Run plays a script and returns its normalized transcript. A failure of
// the run itself (timeout, refused setup, connection error) is written
// into the transcript as a "!!" line and ends the run.
func (r *Runner) Run(s *Script) *Transcript {
	ru := &run{r: r, s: s, norm: NewNormalizer(time.Now(), r.Diffs), tr: &Transcript{},
		sessions: map[int]*session{}, setups: map[string]*session{},
		pw: map[string]string{AdminUser: AdminPassword}}
	for _, u := range s.Users {
		ru.pw[u.Name] = u.Password
	}
	defer ru.closeAll()
	for i := range s.Steps {
		st := &s.Steps[i]
		ru.tr.Blocks = append(ru.tr.Blocks, Block{Line: st.Line, Head: strings.TrimSpace(st.Src)})
		if err := ru.step(st); err != nil {
			if err != errStop {
				ru.fail("%v", err)
			}
			break
		}
	}
	return ru.tr
}

func (ru *run) block() *Block { return &ru.tr.Blocks[len(ru.tr.Blocks)-1] }

func (ru *run) emit(s *session, resp *Response, greeting bool) {
	b := ru.block()
	b.Lines = append(b.Lines, renderResponse(s.n, resp, ru.norm, greeting)...)
}

func (ru *run) fail(format string, a ...any) error {
	b := ru.block()
	b.Lines = append(b.Lines, "!! "+fmt.Sprintf(format, a...))
	return errStop
}

func (ru *run) closeAll() {
	for _, s := range ru.sessions {
		s.conn.Close()
	}
	for _, s := range ru.setups {
		s.conn.Close()
	}
}

func (ru *run) step(st *Step) error {
	switch st.Kind {
	case StepSleep:
		time.Sleep(st.Dur)
		return nil
	case StepLMTP:
		return ru.lmtp(st)
	case StepSetup:
		return ru.setup(st)
	case StepConnect:
		if _, ok := ru.sessions[st.Session]; ok {
			return fmt.Errorf("C%d is already connected", st.Session)
		}
		s, err := ru.dial(st.Session)
		if err != nil {
			return err
		}
		resp, err := ru.read(s)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(resp.Texts[0], "* OK [ALERT]") {
			ru.emit(s, resp, true)
		}
		if resp.Bye() {
			return ru.readClosed(s)
		}
		return nil
	case StepLogin:
		if _, ok := ru.sessions[st.Session]; ok {
			return fmt.Errorf("C%d is already connected", st.Session)
		}
		s, err := ru.dial(st.Session)
		if err != nil {
			return err
		}
		return ru.login(s, st.Who)
	}
	s, ok := ru.sessions[st.Session]
	if !ok {
		return fmt.Errorf("C%d is not connected (use \"C%d connect\" or \"C%d login USER\")", st.Session, st.Session, st.Session)
	}
	if s.closed && st.Kind != StepClose {
		return fmt.Errorf("C%d was closed", st.Session)
	}
	switch st.Kind {
	case StepClose:
		s.conn.Close()
		s.closed = true
		return nil
	case StepRead:
		for i := 0; i < st.N; i++ {
			resp, err := ru.read(s)
			if err != nil {
				return err
			}
			ru.emit(s, resp, false)
		}
		return nil
	case StepWait:
		return ru.waitDone(s, nil)
	case StepSend:
		// Raw bytes leave the command state alone; outside a command
		// they name the tag a later "wait" waits for.
		if !s.inCmd {
			s.tag, _, _ = strings.Cut(strings.TrimRight(st.Text, "\r\n"), " ")
			ru.norm.SetCommand(st.Text)
		}
		if err := s.write([]byte(st.Text)); err != nil {
			return ru.fail("write: %v", err)
		}
		return s.flush()
	case StepLine:
		text, err := ru.norm.Expand(st.Text)
		if err != nil {
			return err
		}
		if text, err = base64s(text); err != nil {
			return err
		}
		if !s.inCmd {
			s.tag, _, _ = strings.Cut(text, " ")
			ru.norm.SetCommand(text)
		}
		s.inCmd = true
		ended, err := ru.send(s, text, func(resp *Response) { ru.emit(s, resp, false) })
		if err != nil || ended {
			return err
		}
		if reNonSyncTail.MatchString(text) {
			return nil // the literal's bytes follow on the next line
		}
		if err := ru.waitDone(s, func() { ru.afterOK(s, text) }); err != nil {
			return err
		}
		if s.inCmd && reIdle.MatchString(text) {
			// Cyrus sends "+ idling" before it registers with idled; a
			// change made in that gap is only seen at the next poll.
			time.Sleep(idleSettle)
		}
		return nil
	}
	return fmt.Errorf("unknown step kind %d", st.Kind)
}

var (
	reNonSyncTail = regexp.MustCompile(`\{[0-9]+\+\}$`)
	reCompress    = regexp.MustCompile(`(?i)^\S+ COMPRESS DEFLATE$`)
	reIdle        = regexp.MustCompile(`(?i)^\S+ IDLE$`)
	reInlineLit   = regexp.MustCompile(`\{(msg:[^{}"+]+|"(?:[^"\\]|\\.)*")(\+?)\}`)
	reBase64      = regexp.MustCompile(`\$b64\(("(?:[^"\\]|\\.)*")\)`)
)

// base64s replaces $b64("go-quoted") by the base64 of the string (SASL
// responses written readably).
func base64s(text string) (string, error) {
	var err error
	out := reBase64.ReplaceAllStringFunc(text, func(m string) string {
		u, e := strconv.Unquote(reBase64.FindStringSubmatch(m)[1])
		if e != nil {
			err = fmt.Errorf("%s: %v", m, e)
			return m
		}
		return base64.StdEncoding.EncodeToString([]byte(u))
	})
	return out, err
}

// afterOK applies what a successful command changes in the connection
// itself (RFC 4978: compression starts right after the OK).
func (ru *run) afterOK(s *session, text string) {
	if reCompress.MatchString(text) {
		s.br = bufio.NewReader(flate.NewReader(s.br))
		s.fw, _ = flate.NewWriter(s.conn, flate.DefaultCompression)
		s.w = s.fw
	}
}

func (ru *run) dial(n int) (*session, error) {
	c, err := net.DialTimeout("tcp", ru.r.Target.Addr("imap"), ru.r.Timeout)
	if err != nil {
		return nil, fmt.Errorf("connect C%d: %v", n, err)
	}
	s := &session{n: n, conn: c, br: bufio.NewReader(c), w: c}
	if n > 0 {
		ru.sessions[n] = s
	}
	return s, nil
}

// login reads the greeting and logs in, recording nothing unless it fails.
func (ru *run) login(s *session, user string) error {
	greet, err := ru.read(s)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(greet.Texts[0], "* OK") {
		return ru.fail("greeting: %s", greet.String())
	}
	s.tag = "L"
	if err := s.write([]byte("L LOGIN " + quote(user) + " " + quote(ru.pw[user]) + "\r\n")); err != nil {
		return err
	}
	if err := s.flush(); err != nil {
		return err
	}
	for {
		resp, err := ru.read(s)
		if err != nil {
			return err
		}
		if resp.Tagged("L") {
			if resp.Status() != "OK" {
				return ru.fail("login %s: %s", user, resp.String())
			}
			return nil
		}
	}
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// read reads one response within the timeout.
func (ru *run) read(s *session) (*Response, error) {
	s.conn.SetReadDeadline(time.Now().Add(ru.r.Timeout))
	resp, err := ReadResponse(s.br)
	if err != nil {
		if resp != nil {
			ru.emit(s, resp, false)
		}
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return nil, ru.fail("C%d: no answer within %v", s.n, ru.r.Timeout)
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed):
			s.closed = true
			b := ru.block()
			b.Lines = append(b.Lines, fmt.Sprintf("S%d closed", s.n))
			return nil, errStop
		default:
			return nil, ru.fail("C%d: read: %v", s.n, err)
		}
	}
	return resp, nil
}

// readClosed reads until the server closes the connection (after BYE).
func (ru *run) readClosed(s *session) error {
	for {
		resp, err := ru.read(s)
		if err == errStop && s.closed {
			return nil
		}
		if err != nil {
			return err
		}
		ru.emit(s, resp, false)
	}
}

// waitDone reads until the tagged answer of the command in progress (ok
// runs after a tagged OK), a continuation request, or the end of the
// connection (after a BYE, which is not a failure of the run).
func (ru *run) waitDone(s *session, ok func()) error {
	for {
		resp, err := ru.read(s)
		if err != nil {
			if err == errStop && s.closed {
				return nil
			}
			return err
		}
		ru.emit(s, resp, false)
		switch {
		case resp.Tagged(s.tag):
			s.inCmd = false
			if resp.Status() == "OK" && ok != nil {
				ok()
			}
			return nil
		case resp.Continuation():
			s.inCmd = true
			return nil
		}
	}
}

// chunk is a piece of client text followed by an optional literal.
type chunk struct {
	text   string
	lit    []byte
	hasLit bool
	sync   bool
}

// literals splits a client line at its inline literals: {msg:NAME},
// {"go-quoted"} and their non-synchronizing forms {msg:NAME+},
// {"..."+}.
func (ru *run) literals(text string) ([]chunk, error) {
	var out []chunk
	for {
		m := reInlineLit.FindStringSubmatchIndex(text)
		if m == nil {
			out = append(out, chunk{text: text})
			return out, nil
		}
		body := text[m[2]:m[3]]
		var lit []byte
		if strings.HasPrefix(body, "msg:") {
			b, err := ru.r.message(strings.TrimPrefix(body, "msg:"))
			if err != nil {
				return nil, err
			}
			lit = b
		} else {
			u, err := strconv.Unquote(body)
			if err != nil {
				return nil, fmt.Errorf("literal %s: %v", body, err)
			}
			lit = []byte(u)
		}
		out = append(out, chunk{text: text[:m[0]], lit: lit, hasLit: true, sync: m[5] == m[4]})
		text = text[m[1]:]
	}
}

// send writes a client line with its literals; before the bytes of a
// synchronizing literal it waits for "+". ended is true when the server
// answered the command (tagged) instead.
func (ru *run) send(s *session, text string, emit func(*Response)) (ended bool, err error) {
	chunks, err := ru.literals(text)
	if err != nil {
		return false, err
	}
	for _, c := range chunks {
		if !c.hasLit {
			if err := s.write([]byte(c.text + "\r\n")); err != nil {
				return false, ru.fail("write: %v", err)
			}
			break
		}
		if !c.sync {
			if err := s.write([]byte(fmt.Sprintf("%s{%d+}\r\n", c.text, len(c.lit)))); err != nil {
				return false, ru.fail("write: %v", err)
			}
		} else {
			if err := s.write([]byte(fmt.Sprintf("%s{%d}\r\n", c.text, len(c.lit)))); err != nil {
				return false, ru.fail("write: %v", err)
			}
			if err := s.flush(); err != nil {
				return false, err
			}
			for {
				resp, err := ru.read(s)
				if err != nil {
					if err == errStop && s.closed {
						return true, nil
					}
					return false, err
				}
				emit(resp)
				if resp.Continuation() {
					break
				}
				if resp.Tagged(s.tag) {
					s.inCmd = false
					return true, nil
				}
			}
		}
		if err := s.write(c.lit); err != nil {
			return false, ru.fail("write: %v", err)
		}
	}
	return false, s.flush()
}

func (s *session) write(b []byte) error {
	s.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err := s.w.Write(b)
	return err
}

func (s *session) flush() error {
	if s.fw != nil {
		return s.fw.Flush()
	}
	return nil
}

// setup runs a command on the user's setup connection; it must answer
// OK. Nothing is recorded unless it fails.
func (ru *run) setup(st *Step) error {
	s, ok := ru.setups[st.Who]
	if !ok {
		var err error
		if s, err = ru.dial(0); err != nil {
			return err
		}
		ru.setups[st.Who] = s
		if err := ru.login(s, st.Who); err != nil {
			return err
		}
	}
	ru.nsetup++
	s.tag = fmt.Sprintf("s%d", ru.nsetup)
	var last *Response
	text, err := ru.norm.Expand(st.Text)
	if err != nil {
		return err
	}
	ended, err := ru.send(s, s.tag+" "+text, func(r *Response) { last = r })
	if err != nil {
		return err
	}
	for !ended {
		resp, err := ru.read(s)
		if err != nil {
			return err
		}
		last = resp
		if resp.Tagged(s.tag) {
			break
		}
	}
	if last == nil || !last.Tagged(s.tag) || last.Status() != "OK" {
		got := "nothing"
		if last != nil {
			got = last.String()
		}
		return ru.fail("setup %s: %s: %s", st.Who, st.Text, got)
	}
	return nil
}

// message returns a message file with CRLF line ends.
func (r *Runner) message(name string) ([]byte, error) {
	if name == "" || strings.Contains(name, "..") || filepath.IsAbs(name) {
		return nil, fmt.Errorf("bad message name %q", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.cache[name]; ok {
		return b, nil
	}
	b, err := os.ReadFile(filepath.Join(r.Messages, name))
	if err != nil {
		return nil, err
	}
	b = CRLF(b)
	if r.cache == nil {
		r.cache = map[string][]byte{}
	}
	r.cache[name] = b
	return b, nil
}

// CRLF turns bare LF line ends into CRLF (message files are kept with
// LF in the tree).
func CRLF(b []byte) []byte {
	var out []byte
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}
