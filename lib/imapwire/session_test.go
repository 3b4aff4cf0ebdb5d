package imapwire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// fakeSession plays the part of imapd closely enough to compare parse
// answers with Cyrus: the state rules of Cyrus's cmdloop go in Gate, every
// command that parses gets "OK", and the few commands that read more input
// (AUTHENTICATE, IDLE, APPEND) are driven as imapd will drive them.
type fakeSession struct {
	state string // noauth, auth, selected
	p     *Parser
	w     *Writer
	out   bytes.Buffer
}

var (
	unauthOK = map[string]bool{"AUTHENTICATE": true, "CAPABILITY": true, "ID": true,
		"LOGIN": true, "LOGOUT": true, "NOOP": true, "STARTTLS": true}
	needSelected = map[string]bool{"CHECK": true, "CLOSE": true, "COPY": true, "EXPUNGE": true,
		"FETCH": true, "MOVE": true, "SEARCH": true, "SORT": true, "STORE": true, "THREAD": true,
		"UID": true, "UNSELECT": true, "XMOVE": true}
)

func newFakeSession(state string, input string, opt Options) *fakeSession {
	s := &fakeSession{state: state}
	s.w = NewWriter(&s.out)
	if opt.Continue == nil {
		opt.Continue = s.w.ContinueLiteral
	}
	opt.Gate = s.gate
	if opt.KnownCharset == nil {
		opt.KnownCharset = func(cs string) bool {
			return strings.EqualFold(cs, "UTF-8") || strings.EqualFold(cs, "US-ASCII")
		}
	}
	s.p = NewParser(strings.NewReader(input), opt)
	return s
}

func (s *fakeSession) gate(h Header) error {
	if h.UID {
		return nil
	}
	switch {
	case s.state == "noauth" && !unauthOK[h.Name]:
		return ErrLoginFirst()
	case s.state == "auth" && needSelected[h.Name]:
		return ErrSelectFirst()
	case h.Name == "UNAUTHENTICATE":
		return ErrUnrecognized() // not an admin
	}
	return nil
}

// run executes commands until the input ends or a fatal error.
func (s *fakeSession) run(t testing.TB) string {
	for {
		cmd, err := s.p.ReadCommand()
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				s.w.WriteError(e)
				if e.Fatal() {
					break
				}
				continue
			}
			break
		}
		if !s.exec(t, cmd) {
			break
		}
	}
	s.w.Flush()
	return s.out.String()
}

func (s *fakeSession) ok(tag string) { s.w.StatusResponse(tag, StatusOK, "", "Completed") }

func (s *fakeSession) writeErr(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		s.w.WriteError(e)
		return !e.Fatal()
	}
	return false
}

func (s *fakeSession) exec(t testing.TB, cmd *Command) bool {
	switch cmd.Name {
	case "AUTHENTICATE":
		if s.state != "noauth" {
			s.w.StatusResponse(cmd.Tag, StatusBAD, "", TextAlreadyAuth)
			return true
		}
		s.w.Continue("")
		if _, err := s.p.ReadSASLResponse(); err != nil {
			return s.writeErr(err)
		}
		s.w.StatusResponse(cmd.Tag, StatusNO, "", "authentication failed")
		return true
	case "LOGIN":
		if s.state != "noauth" {
			s.w.StatusResponse(cmd.Tag, StatusBAD, "", TextAlreadyLoggedIn)
			return true
		}
	case "ENABLE":
		s.p.Enable(cmd.Args.(*Enable).Caps...)
	case "IDLE":
		s.w.Continue("idling")
		if err := s.p.ReadIdleDone(); err != nil {
			return s.writeErr(err)
		}
	case "APPEND", "REPLACE":
		a, ok := cmd.Args.(*Append)
		if !ok {
			a = cmd.Args.(*Replace).Append
		}
		if a.Mailbox == "nosuchbox" {
			// imapd refuses before reading any message, as Cyrus does.
			if err := a.Discard(); err != nil {
				return s.writeErr(err)
			}
			s.w.StatusResponse(cmd.Tag, StatusNO, "TRYCREATE", "Mailbox does not exist")
			return true
		}
		for {
			m, err := a.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return s.writeErr(err)
			}
			if m.Literal != nil {
				io.Copy(io.Discard, m.Literal)
			} else {
				for {
					part, err := m.Catenate.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						return s.writeErr(err)
					}
					if part.Text != nil {
						io.Copy(io.Discard, part.Text)
					}
				}
			}
		}
	}
	s.ok(cmd.Tag)
	return true
}
