package imap

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Script is one parsed transcript script (a *.imap file).
type Script struct {
	Name     string            // path under scripts/ without ".imap", e.g. "fetch/envelope"
	Path     string            // file path
	Users    []User            // declared users, in order
	Options  map[string]string // imapd.conf keys for the instance
	Isolated bool              // the script gets an instance of its own
	Steps    []Step
}

// User is a declared account.
type User struct {
	Name, Password string
}

// StepKind says what a step does.
type StepKind int

// The step kinds; see README.md for their syntax.
const (
	StepSetup   StepKind = iota // setup WHO: COMMAND
	StepLMTP                    // lmtp RCPT[,RCPT] MESSAGE
	StepConnect                 // Cn connect
	StepLogin                   // Cn login USER
	StepLine                    // Cn: TEXT
	StepSend                    // Cn send "go-quoted bytes"
	StepWait                    // Cn wait
	StepRead                    // Cn read N
	StepClose                   // Cn close
	StepSleep                   // sleep DURATION
)

// Step is one line of a script's conversation.
type Step struct {
	Line    int      // line number in the file
	Kind    StepKind //
	Session int      // n of Cn (0 for setup, lmtp and sleep)
	Who     string   // setup: the user whose connection runs it; login: the user
	Text    string   // the client text (StepLine, StepSetup), the raw bytes (StepSend)
	Rcpts   []string // lmtp recipients
	Message string   // lmtp message file
	N       int      // read: number of responses
	Dur     time.Duration
	Src     string // the script line as written (echoed into the transcript)
}

var (
	reSession = regexp.MustCompile(`^C([1-9][0-9]?)(:| )(.*)$`)
	reOption  = regexp.MustCompile(`^([A-Za-z0-9_-]+)\s*:\s*(.*)$`)
)

// ParseScript parses a script's text. name is used in messages.
func ParseScript(name string, data []byte) (*Script, error) {
	s := &Script{Name: name, Options: map[string]string{}}
	seenUser := map[string]bool{}
	for i, raw := range strings.Split(string(data), "\n") {
		ln := i + 1
		line := strings.TrimSuffix(raw, "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%s:%d: %s", name, ln, fmt.Sprintf(format, a...))
		}
		if m := reSession.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			st := Step{Line: ln, Session: n, Src: line}
			if m[2] == ":" {
				st.Kind = StepLine
				st.Text = strings.TrimPrefix(m[3], " ")
				if st.Text == "" && m[3] == "" {
					// "Cn:" alone sends an empty line
				}
				s.Steps = append(s.Steps, st)
				continue
			}
			f := strings.Fields(m[3])
			if len(f) == 0 {
				return nil, fail("C%d: missing action", n)
			}
			switch f[0] {
			case "connect":
				st.Kind = StepConnect
			case "login":
				if len(f) != 2 {
					return nil, fail("usage: Cn login USER")
				}
				st.Kind, st.Who = StepLogin, f[1]
			case "send":
				q := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(m[3]), "send"))
				b, err := strconv.Unquote(q)
				if err != nil {
					return nil, fail("send wants a Go-quoted string: %v", err)
				}
				st.Kind, st.Text = StepSend, b
			case "wait":
				st.Kind = StepWait
			case "read":
				if len(f) != 2 {
					return nil, fail("usage: Cn read N")
				}
				k, err := strconv.Atoi(f[1])
				if err != nil || k < 1 {
					return nil, fail("read: bad count %q", f[1])
				}
				st.Kind, st.N = StepRead, k
			case "close":
				st.Kind = StepClose
			default:
				return nil, fail("unknown session action %q", f[0])
			}
			if st.Kind != StepSend && st.Kind != StepRead && st.Kind != StepLogin && len(f) != 1 {
				return nil, fail("%s takes no argument", f[0])
			}
			s.Steps = append(s.Steps, st)
			continue
		}
		f := strings.Fields(trimmed)
		switch f[0] {
		case "user":
			if len(f) != 3 {
				return nil, fail("usage: user NAME PASSWORD")
			}
			if f[1] == AdminUser {
				return nil, fail("%s is the admin and always exists", AdminUser)
			}
			if seenUser[f[1]] {
				return nil, fail("user %s declared twice", f[1])
			}
			seenUser[f[1]] = true
			s.Users = append(s.Users, User{f[1], f[2]})
		case "option":
			m := reOption.FindStringSubmatch(strings.TrimSpace(strings.TrimPrefix(trimmed, "option")))
			if m == nil {
				return nil, fail("usage: option key: value")
			}
			s.Options[m[1]] = strings.TrimSpace(m[2])
		case "isolated":
			s.Isolated = true
		case "setup":
			rest := strings.TrimSpace(strings.TrimPrefix(trimmed, "setup"))
			who, cmd, ok := strings.Cut(rest, ":")
			if !ok || strings.TrimSpace(who) == "" || strings.TrimSpace(cmd) == "" {
				return nil, fail("usage: setup USER: COMMAND")
			}
			s.Steps = append(s.Steps, Step{Line: ln, Kind: StepSetup, Who: strings.TrimSpace(who), Text: strings.TrimSpace(cmd), Src: line})
		case "lmtp":
			if len(f) != 3 {
				return nil, fail("usage: lmtp RCPT[,RCPT...] MESSAGE")
			}
			s.Steps = append(s.Steps, Step{Line: ln, Kind: StepLMTP, Rcpts: strings.Split(f[1], ","), Message: f[2], Src: line})
		case "sleep":
			if len(f) != 2 {
				return nil, fail("usage: sleep DURATION")
			}
			d, err := time.ParseDuration(f[1])
			if err != nil || d <= 0 || d > 10*time.Second {
				return nil, fail("sleep: bad duration %q", f[1])
			}
			s.Steps = append(s.Steps, Step{Line: ln, Kind: StepSleep, Dur: d, Src: line})
		default:
			return nil, fail("unknown directive %q", f[0])
		}
	}
	// Every user a step names must be declared (or be the admin).
	known := map[string]bool{AdminUser: true}
	for _, u := range s.Users {
		known[u.Name] = true
	}
	for _, st := range s.Steps {
		switch st.Kind {
		case StepSetup, StepLogin:
			if !known[st.Who] {
				return nil, fmt.Errorf("%s:%d: user %s is not declared", name, st.Line, st.Who)
			}
		case StepLMTP:
			for _, r := range st.Rcpts {
				if !known[RcptUser(r)] {
					return nil, fmt.Errorf("%s:%d: lmtp recipient %s is not a declared user", name, st.Line, r)
				}
			}
		}
	}
	if len(s.Steps) == 0 {
		return nil, fmt.Errorf("%s: no steps", name)
	}
	return s, nil
}

// GroupKey names the instance a script runs on: scripts with the same
// options share one, an isolated script has its own.
func (s *Script) GroupKey() string {
	keys := make([]string, 0, len(s.Options))
	for k := range s.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s;", k, s.Options[k])
	}
	if s.Isolated {
		b.WriteString("isolated=" + s.Name)
	}
	if b.Len() == 0 {
		return "default"
	}
	return b.String()
}

// OptionList returns the options as sorted key=value strings.
func (s *Script) OptionList() []string {
	var out []string
	for k, v := range s.Options {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// LoadScripts reads every *.imap file under dir (recursively), sorted by
// name. Scripts that share an instance must not share a user name.
func LoadScripts(dir string) ([]*Script, error) {
	var out []*Script
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".imap") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := filepath.ToSlash(strings.TrimSuffix(rel, ".imap"))
		s, err := ParseScript(name, data)
		if err != nil {
			return err
		}
		s.Path = p
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	owner := map[string]string{} // group+user -> script
	for _, s := range out {
		for _, u := range s.Users {
			k := s.GroupKey() + "\x00" + u.Name
			if o, ok := owner[k]; ok {
				return nil, fmt.Errorf("%s: user %s is already used by %s on the same instance; pick another name or mark one script isolated", s.Name, u.Name, o)
			}
			owner[k] = s.Name
		}
	}
	return out, nil
}

// GoldenPath is where the recorded transcript of a script lives.
func (s *Script) GoldenPath() string {
	return strings.TrimSuffix(s.Path, ".imap") + ".golden"
}

// RcptUser is the user an LMTP recipient of a script names: the
// address without its "+detail" (RFC 5233), keeping a domain.
func RcptUser(rcpt string) string {
	local, domain, hasDomain := strings.Cut(rcpt, "@")
	local, _, _ = strings.Cut(local, "+")
	if hasDomain {
		return local + "@" + domain
	}
	return local
}
