package cyrusconf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// DefaultPath is where master looks for cyrus.conf without -M.
const DefaultPath = "/etc/cyrus.conf"

// Unlimited is Service.MaxChild when the entry sets no limit.
const Unlimited = -1

// Config is a parsed cyrus.conf: the entries of the four sections, with
// the defaults and adjustments master applies (cyrus.conf(5); config.md
// §A.2). Entries with a problem are left out of the typed lists and
// described in Problems; Raw keeps every entry as written.
type Config struct {
	File     string
	Start    []Start
	Services []Service
	Events   []Event
	Daemons  []Daemon

	// Problems are entry-level errors in file order of discovery (START,
	// SERVICES, EVENTS, DAEMON): fatal when master starts, warnings on
	// SIGHUP (the entry is ignored).
	Problems []*Error

	Raw struct{ Start, Services, Events, Daemon []Entry }
}

// Start is a START entry: a command run once, to completion, before the
// services start.
type Start struct {
	Name string
	Line int
	Cmd  []string // cmd split on white space; Cmd[0] is the program
}

// Service is a SERVICES entry.
type Service struct {
	Name   string
	Line   int
	Cmd    []string
	Listen string // as written; see ParseListen
	Proto  string // tcp (default), tcp4, tcp6, udp, udp4, udp6
	// Prefork is how many ready processes to keep per listening socket
	// (at least 1 with babysit; at most 1 for datagram services).
	Prefork int
	// MaxChild caps the service per listening socket, or is Unlimited.
	// It is 1 for datagram services.
	MaxChild    int
	Babysit     bool
	MaxForkRate int // forks per second, 0 = no limit (10 with babysit if unset)
	MaxFDs      int // RLIMIT_NOFILE for the children, 0 = inherited
}

// Stream reports whether the service uses stream sockets. Cyrus decides
// it differently for the two kinds of listen=: a UNIX path is a stream
// socket only for proto "tcp"; an internet listener for tcp, tcp4, tcp6.
func (s *Service) Stream() bool {
	if strings.HasPrefix(s.Listen, "/") {
		return s.Proto == "tcp"
	}
	return s.Proto == "tcp" || s.Proto == "tcp4" || s.Proto == "tcp6"
}

// Event is an EVENTS entry.
type Event struct {
	Name string
	Line int
	Cmd  []string
	// Period is how often the event runs; 0 means once at start-up (and
	// after each SIGHUP). A daily event has 24 hours.
	Period time.Duration
	// At is the daily run time as hhmm, or -1 for a periodic event that
	// first runs at start-up.
	At int
}

// Daily returns the local time of a daily event.
func (e *Event) Daily() (hour, minute int, ok bool) {
	if e.At < 0 {
		return 0, 0, false
	}
	return e.At / 100, e.At % 100, true
}

// Daemon is a DAEMON entry: a long-lived program kept running.
type Daemon struct {
	Name        string
	Line        int
	Cmd         []string
	Wait        bool // start before services and wait for "ok\r\n" on fd 3
	MaxFDs      int
	MaxForkRate int // 10 when unset
}

// SplitCmd splits a cmd= value into words as master does: on spaces, tabs,
// CR and LF, with no quoting.
func SplitCmd(cmd string) []string {
	return strings.FieldsFunc(cmd, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n'
	})
}

// ServiceNames returns the names of the SERVICES entries as written,
// in file order: the prefixes imapd.conf may use for service-specific
// options (cyr_info conf-lint).
func (c *Config) ServiceNames() []string {
	names := make([]string, 0, len(c.Raw.Services))
	for _, e := range c.Raw.Services {
		names = append(names, e.Name)
	}
	return names
}

// Load reads and parses a cyrus.conf. An empty path means DefaultPath. If
// $CYRUS_PREFIX is set, $CYRUS_PREFIX followed by path is tried first.
func Load(path string) (*Config, error) {
	if path == "" {
		path = DefaultPath
	}
	var data []byte
	var err error
	if prefix := os.Getenv("CYRUS_PREFIX"); prefix != "" {
		data, err = os.ReadFile(prefix + path)
		if err == nil {
			return Parse(prefix+path, data)
		}
	}
	data, err = os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{File: path, Msg: "can't open configuration file: no such file"}
		}
		return nil, &Error{File: path, Msg: fmt.Sprintf("can't open configuration file: %v", err)}
	}
	return Parse(path, data)
}

// Parse parses the text of a cyrus.conf named file (used in messages).
// A lexical error is returned as *Error; entry-level problems are in
// Config.Problems.
func Parse(file string, data []byte) (*Config, error) {
	lines := splitLines(data)
	c := &Config{File: file}
	var err error
	for _, s := range []struct {
		name string
		dst  *[]Entry
	}{
		{"START", &c.Raw.Start},
		{"SERVICES", &c.Raw.Services},
		{"EVENTS", &c.Raw.Events},
		{"DAEMON", &c.Raw.Daemon},
	} {
		if *s.dst, err = section(file, lines, s.name); err != nil {
			return nil, err
		}
	}
	c.build()
	return c, nil
}

func (c *Config) problem(e *Entry, format string, args ...any) {
	c.Problems = append(c.Problems, &Error{File: c.File, Line: e.Line, Msg: fmt.Sprintf(format, args...)})
}

// build turns the raw entries into typed ones, applying master.c's
// defaults (add_start, add_service, add_event, add_daemon).
func (c *Config) build() {
	for i := range c.Raw.Start {
		e := &c.Raw.Start[i]
		cmd := SplitCmd(e.String("cmd", ""))
		switch {
		case e.Name == "":
			c.problem(e, "entry without a name")
		case len(cmd) == 0:
			c.problem(e, "unable to find command for %s", e.Name)
		default:
			c.Start = append(c.Start, Start{Name: e.Name, Line: e.Line, Cmd: cmd})
		}
	}

	// SERVICES and DAEMON entries share one name space.
	taken := map[string]bool{}
	for i := range c.Raw.Services {
		e := &c.Raw.Services[i]
		s := Service{
			Name:        e.Name,
			Line:        e.Line,
			Cmd:         SplitCmd(e.String("cmd", "")),
			Listen:      e.String("listen", ""),
			Proto:       e.String("proto", "tcp"),
			Prefork:     e.Int("prefork", 0),
			Babysit:     e.Switch("babysit", false),
			MaxForkRate: e.Int("maxforkrate", 0),
			MaxFDs:      e.Int("maxfds", 0),
			// maxchild is read with a bare atoi, without
			// masterconf_getint's check: "maxchild=x" is 0.
			MaxChild: atoi(e.String("maxchild", "-1")),
		}
		if s.Babysit && s.Prefork == 0 {
			s.Prefork = 1
		}
		if s.Babysit && s.MaxForkRate == 0 {
			s.MaxForkRate = 10
		}
		if s.Proto == "tcp" || s.Proto == "tcp4" || s.Proto == "tcp6" {
			if s.MaxChild < 0 {
				s.MaxChild = Unlimited
			}
		} else {
			if s.Prefork > 1 {
				s.Prefork = 1
			}
			s.MaxChild = 1
		}
		switch {
		case e.Name == "":
			c.problem(e, "entry without a name")
		case len(s.Cmd) == 0 || s.Listen == "":
			c.problem(e, "unable to find command or port for service '%s'", e.Name)
		case taken[e.Name]:
			c.problem(e, "multiple entries for service '%s'", e.Name)
		default:
			taken[e.Name] = true
			c.Services = append(c.Services, s)
		}
	}

	for i := range c.Raw.Events {
		e := &c.Raw.Events[i]
		ev := Event{
			Name:   e.Name,
			Line:   e.Line,
			Cmd:    SplitCmd(e.String("cmd", "")),
			Period: time.Duration(e.Int("period", 0)) * time.Minute,
			At:     -1,
		}
		if at := e.Int("at", -1); at >= 0 && at/100 <= 23 && at%100 <= 59 {
			ev.At = at
			ev.Period = 24 * time.Hour
		}
		switch {
		case e.Name == "":
			c.problem(e, "entry without a name")
		case len(ev.Cmd) == 0:
			c.problem(e, "unable to find command or port for event '%s'", e.Name)
		case ev.Period < 0:
			c.problem(e, "negative period for event '%s'", e.Name)
		default:
			c.Events = append(c.Events, ev)
		}
	}

	for i := range c.Raw.Daemon {
		e := &c.Raw.Daemon[i]
		d := Daemon{
			Name:        e.Name,
			Line:        e.Line,
			Cmd:         SplitCmd(e.String("cmd", "")),
			Wait:        e.Switch("wait", false),
			MaxFDs:      e.Int("maxfds", 0),
			MaxForkRate: e.Int("maxforkrate", 0),
		}
		if d.MaxForkRate == 0 {
			d.MaxForkRate = 10
		}
		kind := "service"
		if d.Wait {
			kind = "waitdaemon"
		}
		switch {
		case e.Name == "":
			c.problem(e, "entry without a name")
		case len(d.Cmd) == 0:
			c.problem(e, "unable to find command or port for service '%s'", e.Name)
		case taken[e.Name]:
			c.problem(e, "multiple entries for %s '%s'", kind, e.Name)
		default:
			taken[e.Name] = true
			c.Daemons = append(c.Daemons, d)
		}
	}
}
