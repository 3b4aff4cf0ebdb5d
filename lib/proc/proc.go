package proc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gyrus/lib/config"
)

// Info is what a proc file says about one session.
type Info struct {
	Service string // cyrus.conf entry name
	Host    string // client host: "name [ip]", "[ip]" or "[unix socket]"
	User    string // authenticated user, or ""
	Mailbox string // selected mailbox, or ""
	Command string // current command, or ""
}

// line renders the one line of a proc file.
func (i Info) line() string {
	clean := func(s string) string {
		if !strings.ContainsAny(s, "\t\n\r\x00") {
			return s
		}
		b := []byte(s)
		for i, c := range b {
			if c == '\t' || c == '\n' || c == '\r' || c == 0 {
				b[i] = ' '
			}
		}
		return string(b)
	}
	return clean(i.Service) + "\t" + clean(i.Host) + "\t" + clean(i.User) + "\t" +
		clean(i.Mailbox) + "\t" + clean(i.Command) + "\n"
}

// parseLine reads a proc file's text as Cyrus's proc_foreach does: the
// first line, fields split by tabs; a line without a tab is not valid.
func parseLine(b []byte) (Info, bool) {
	s := string(b)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	f := strings.SplitN(s, "\t", 5)
	if len(f) < 2 {
		return Info{}, false
	}
	for len(f) < 5 {
		f = append(f, "")
	}
	return Info{Service: f[0], Host: f[1], User: f[2], Mailbox: f[3], Command: f[4]}, true
}

// Dir returns the proc directory c configures: proc_path, which must be
// absolute and not "/", or {configdirectory}/proc.
func Dir(c *config.Config) (string, error) {
	if p := c.ProcPath(); p != "" {
		if !strings.HasPrefix(p, "/") {
			return "", errors.New("proc path must be fully qualified")
		}
		if len(p) < 2 {
			return "", errors.New("proc path must not be '/'")
		}
		return strings.TrimRight(p, "/"), nil
	}
	return filepath.Join(c.Configdirectory(), "proc"), nil
}

// Process is the proc directory of one process with many sessions.
type Process struct {
	dir string // {proc dir}/<pid>
	mu  sync.Mutex
	mk  bool // directory created
}

// Open returns the proc entry of process pid under dir. Nothing is
// written until a session is set.
func Open(dir string, pid int) *Process {
	return &Process{dir: filepath.Join(dir, strconv.Itoa(pid))}
}

// Session is the proc file of one session.
type Session struct {
	p    *Process
	name string
	mu   sync.Mutex
	last Info
	set  bool
}

// Session returns the file of session n (n >= 1) of the process.
func (p *Process) Session(n uint64) *Session {
	return &Session{p: p, name: strconv.FormatUint(n, 10)}
}

func (p *Process) ensureDir() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mk {
		return nil
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return fmt.Errorf("create proc directory: %w", err)
	}
	p.mk = true
	return nil
}

// Set writes the session's line if it changed.
func (s *Session) Set(i Info) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set && i == s.last {
		return nil
	}
	if err := s.p.ensureDir(); err != nil {
		return err
	}
	path := filepath.Join(s.p.dir, s.name)
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(i.line()), 0o644); err != nil {
		// The directory may have been removed under us (master's
		// cleanup of a pid that was reused): make it again once.
		s.p.mu.Lock()
		s.p.mk = false
		s.p.mu.Unlock()
		if err2 := s.p.ensureDir(); err2 != nil {
			return err
		}
		if err = os.WriteFile(tmp, []byte(i.line()), 0o644); err != nil {
			return fmt.Errorf("write proc file: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write proc file: %w", err)
	}
	s.last, s.set = i, true
	return nil
}

// Info returns what the session last wrote.
func (s *Session) Info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Close removes the session's file.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set {
		os.Remove(filepath.Join(s.p.dir, s.name))
		s.set = false
	}
}

// Close removes the process's directory and whatever is left in it.
func (p *Process) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	os.RemoveAll(p.dir)
	p.mk = false
}

// RemovePID removes what process pid left in dir (file or directory):
// master calls it after a child exits.
func RemovePID(dir string, pid int) {
	if dir == "" || pid <= 0 {
		return
	}
	os.RemoveAll(filepath.Join(dir, strconv.Itoa(pid)))
}

// Entry is one session found by List.
type Entry struct {
	PID     int
	Session uint64 // 0 for a Cyrus process file
	Info
}

// List reads every proc file under dir, Cyrus files and Gyrus
// directories alike, sorted by pid and session. A missing directory is
// an empty list. Temporary ".new" files and names that are not numbers
// are skipped (Cyrus logs the latter as bogus).
func List(dir string) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read proc directory: %w", err)
	}
	var out []Entry
	for _, de := range des {
		pid, err := strconv.Atoi(de.Name())
		if err != nil || pid <= 0 {
			continue
		}
		path := filepath.Join(dir, de.Name())
		fi, err := os.Stat(path)
		if err != nil {
			continue // gone meanwhile
		}
		if fi.Mode().IsRegular() {
			if b, err := os.ReadFile(path); err == nil {
				if info, ok := parseLine(b); ok {
					out = append(out, Entry{PID: pid, Info: info})
				}
			}
			continue
		}
		if !fi.IsDir() {
			continue
		}
		ses, err := os.ReadDir(path)
		if err != nil {
			continue
		}
		for _, se := range ses {
			n, err := strconv.ParseUint(se.Name(), 10, 64)
			if err != nil || n == 0 {
				continue
			}
			b, err := os.ReadFile(filepath.Join(path, se.Name()))
			if err != nil {
				continue
			}
			if info, ok := parseLine(b); ok {
				out = append(out, Entry{PID: pid, Session: n, Info: info})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].PID != out[j].PID {
			return out[i].PID < out[j].PID
		}
		return out[i].Session < out[j].Session
	})
	return out, nil
}

// Count returns how many sessions come from host and how many belong to
// user, as Cyrus 3.6's proc_checklimits counts them for
// maxlogins_per_host and maxlogins_per_user. Its comment says it counts
// logged-in sessions only, but every line it writes has a user field, so
// in fact every session counts for the host; we do the same. An empty
// host or user matches nothing.
func Count(dir, host, user string) (byHost, byUser int, err error) {
	es, err := List(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range es {
		if host != "" && e.Host == host {
			byHost++
		}
		if user != "" && e.User == user {
			byUser++
		}
	}
	return byHost, byUser, nil
}
