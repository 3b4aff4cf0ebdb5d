package pop3

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Script is one parsed transcript script (a *.pop file under scripts/);
// README.md describes the syntax.
type Script struct {
	Name     string // path under scripts/ without ".pop"
	Path     string
	Users    []User
	Options  map[string]string // imapd.conf keys of the instance
	Isolated bool              // needs an instance of its own
	Differs  string            // why Gyrus's expected transcript is NAME.gyrus, not the recording
	Steps    []Step
}

// User is a declared account. Clear users have their password in clear
// in Cyrus's sasldb2 (what APOP needs); on Gyrus they are made with
// Cyrus SASL's own saslpasswd2, the others in Gyrus's hashed store
// (lib/sasl/store, what Gyrus's saslpasswd2 writes).
type User struct {
	Name, Password string
	Clear          bool
}

// StepKind says what a step does.
type StepKind int

// The step kinds.
const (
	StepConnect    StepKind = iota // Cn connect
	StepLine                       // Cn: TEXT
	StepSend                       // Cn send "go-quoted bytes"
	StepRead                       // Cn read N
	StepReadMulti                  // Cn readmulti
	StepAPOP                       // Cn apop USER PASSWORD
	StepSTARTTLS                   // Cn starttls
	StepClosed                     // Cn closed
	StepDrop                       // Cn drop (client closes)
	StepAppend                     // append USER MAILBOX FILE [FLAG...]
	StepIMAP                       // imap USER: COMMAND
	StepIMAPShow                   // imapshow USER: COMMAND
	StepShutdown                   // shutdown TEXT
	StepNoShutdown                 // noshutdown
	StepDeny                       // deny USER TEXT
	StepSleep                      // sleep DURATION
)

// Step is one line of a script.
type Step struct {
	Line    int
	Kind    StepKind
	Session int      // n of Cn
	Who     string   // user of append/imap/deny/apop ("admin" for the admin)
	Text    string   // the line to send, the raw bytes, the IMAP command, the message text
	Args    []string // append: mailbox, file, flags; apop: password
	N       int
	Dur     time.Duration
	Src     string
}

var (
	reSession = regexp.MustCompile(`^C(\d+)(:| )(.*)$`)
	reWho     = regexp.MustCompile(`^(\S+):\s?(.*)$`)
)

// LoadScripts reads every *.pop file under dir.
func LoadScripts(dir string) ([]*Script, error) {
	var out []*Script
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() || !strings.HasSuffix(p, ".pop") {
			return nil
		}
		s, err := ParseScriptFile(dir, p)
		if err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// ParseScriptFile parses one script.
func ParseScriptFile(dir, path string) (*Script, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rel, _ := filepath.Rel(dir, path)
	s, err := ParseScript(strings.TrimSuffix(rel, ".pop"), string(b))
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	s.Path = path
	return s, nil
}

// ParseScript parses a script's text.
func ParseScript(name, text string) (*Script, error) {
	s := &Script{Name: name, Options: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%d: %s", n, fmt.Sprintf(format, a...))
		}
		f := strings.Fields(line)
		st := Step{Line: n, Src: line}
		if m := reSession.FindStringSubmatch(line); m != nil {
			st.Session, _ = strconv.Atoi(m[1])
			if m[2] == ":" {
				st.Kind = StepLine
				st.Text = strings.TrimPrefix(raw[strings.Index(raw, ":")+1:], " ")
				s.Steps = append(s.Steps, st)
				continue
			}
			args := strings.Fields(m[3])
			if len(args) == 0 {
				return nil, bad("C%d: what?", st.Session)
			}
			switch args[0] {
			case "connect":
				st.Kind = StepConnect
			case "send":
				st.Kind = StepSend
				q, err := parseBytesExpr(strings.TrimSpace(strings.TrimPrefix(m[3], "send")))
				if err != nil {
					return nil, bad("send: %v", err)
				}
				st.Text = q
			case "read":
				st.Kind = StepRead
				if len(args) != 2 {
					return nil, bad("read N")
				}
				n, err := strconv.Atoi(args[1])
				if err != nil || n < 1 {
					return nil, bad("read N: %q", args[1])
				}
				st.N = n
			case "readmulti":
				st.Kind = StepReadMulti
			case "apop":
				if len(args) != 3 {
					return nil, bad("apop USER PASSWORD")
				}
				st.Kind, st.Who, st.Args = StepAPOP, args[1], args[2:]
			case "starttls":
				st.Kind = StepSTARTTLS
			case "closed":
				st.Kind = StepClosed
			case "drop":
				st.Kind = StepDrop
			default:
				return nil, bad("unknown session step %q", args[0])
			}
			s.Steps = append(s.Steps, st)
			continue
		}
		switch f[0] {
		case "user", "clearuser":
			if len(f) != 3 {
				return nil, bad("%s NAME PASSWORD", f[0])
			}
			s.Users = append(s.Users, User{Name: f[1], Password: f[2], Clear: f[0] == "clearuser"})
			continue
		case "option":
			if len(f) != 3 {
				return nil, bad("option KEY VALUE")
			}
			s.Options[f[1]] = f[2]
			continue
		case "isolated":
			s.Isolated = true
			continue
		case "differs":
			s.Differs = strings.TrimSpace(strings.TrimPrefix(line, "differs"))
			if s.Differs == "" {
				return nil, bad("differs REASON")
			}
			continue
		case "append":
			if len(f) < 4 {
				return nil, bad("append USER MAILBOX FILE [FLAG...]")
			}
			st.Kind, st.Who, st.Args = StepAppend, f[1], f[2:]
		case "imap", "imapshow":
			m := reWho.FindStringSubmatch(strings.TrimSpace(strings.TrimPrefix(line, f[0])))
			if m == nil || m[2] == "" {
				return nil, bad("%s USER: COMMAND", f[0])
			}
			st.Kind, st.Who, st.Text = StepIMAP, m[1], m[2]
			if f[0] == "imapshow" {
				st.Kind = StepIMAPShow
			}
		case "shutdown":
			st.Kind, st.Text = StepShutdown, strings.TrimSpace(strings.TrimPrefix(line, "shutdown"))
		case "noshutdown":
			st.Kind = StepNoShutdown
		case "deny":
			if len(f) < 3 {
				return nil, bad("deny USER TEXT")
			}
			st.Kind, st.Who = StepDeny, f[1]
			st.Text = strings.TrimSpace(strings.SplitN(line, f[1], 2)[1])
		case "sleep":
			if len(f) != 2 {
				return nil, bad("sleep DURATION")
			}
			d, err := time.ParseDuration(f[1])
			if err != nil {
				return nil, bad("sleep: %v", err)
			}
			st.Kind, st.Dur = StepSleep, d
		default:
			return nil, bad("unknown step %q", f[0])
		}
		s.Steps = append(s.Steps, st)
	}
	if len(s.Steps) == 0 {
		return nil, fmt.Errorf("no steps")
	}
	return s, nil
}

// GroupKey says which scripts can share an instance: the same options,
// and not isolated.
func (s *Script) GroupKey() string {
	var kv []string
	for k, v := range s.Options {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	key := strings.Join(kv, ",")
	if key == "" {
		key = "default"
	}
	if s.Isolated {
		key += "+" + s.Name
	}
	return key
}

// GoldenPath is the recorded transcript of the real Cyrus.
func (s *Script) GoldenPath() string { return strings.TrimSuffix(s.Path, ".pop") + ".golden" }

// GyrusPath is the transcript Gyrus must produce when it differs from
// Cyrus on purpose (Script.Differs).
func (s *Script) GyrusPath() string { return strings.TrimSuffix(s.Path, ".pop") + ".gyrus" }

// parseBytesExpr reads the bytes of a send step: Go-quoted strings, each
// optionally repeated ("x"*8186), joined with '+'.
func parseBytesExpr(e string) (string, error) {
	var b strings.Builder
	for {
		e = strings.TrimSpace(e)
		if e == "" || e[0] != '"' {
			return "", fmt.Errorf("expected a Go-quoted string at %q", e)
		}
		end := 1
		for end < len(e) && e[end] != '"' {
			if e[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(e) {
			return "", fmt.Errorf("unterminated string in %q", e)
		}
		q, err := strconv.Unquote(e[:end+1])
		if err != nil {
			return "", err
		}
		e = strings.TrimSpace(e[end+1:])
		n := 1
		if strings.HasPrefix(e, "*") {
			e = strings.TrimSpace(e[1:])
			i := 0
			for i < len(e) && e[i] >= '0' && e[i] <= '9' {
				i++
			}
			if n, err = strconv.Atoi(e[:i]); err != nil || n < 0 || n > 1<<20 {
				return "", fmt.Errorf("bad repeat count in %q", e)
			}
			e = strings.TrimSpace(e[i:])
		}
		b.WriteString(strings.Repeat(q, n))
		if e == "" {
			return b.String(), nil
		}
		if e[0] != '+' {
			return "", fmt.Errorf("expected '+' at %q", e)
		}
		e = e[1:]
	}
}
