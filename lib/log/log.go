package log

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gyrus/lib/config"
)

// Level is a syslog priority (RFC 5424 §6.2.1).
type Level int

// The levels Gyrus uses.
const (
	LevelErr     Level = 3
	LevelWarning Level = 4
	LevelNotice  Level = 5
	LevelInfo    Level = 6
	LevelDebug   Level = 7
)

// DefaultSocket is the local syslog socket.
const DefaultSocket = "/dev/log"

// facilities are the names syslog_facility accepts (as Cyrus's
// get_facility), with their syslog codes.
var facilities = map[string]int{
	"DAEMON": 3, "MAIL": 2, "NEWS": 7, "USER": 1,
	"LOCAL0": 16, "LOCAL1": 17, "LOCAL2": 18, "LOCAL3": 19,
	"LOCAL4": 20, "LOCAL5": 21, "LOCAL6": 22, "LOCAL7": 23,
}

const defaultFacility = 2 // LOG_MAIL

// Options configure logging for a process.
type Options struct {
	Ident      string    // program ident: tool name or cyrus.conf service name
	Prefix     string    // syslog_prefix; $CYRUS_SYSLOG_PREFIX wins when set
	Facility   string    // syslog_facility name; "" means MAIL
	Debug      bool      // let Debug lines through (debug: on)
	Chatty     bool      // log Chatty lines (chatty: on)
	Foreground bool      // also write every line to stderr
	Socket     string    // syslog socket; "" means DefaultSocket
	Stderr     io.Writer // stderr destination; nil means os.Stderr
}

// FromConfig returns the Options that imapd.conf asks for.
func FromConfig(c *config.Config, foreground bool) Options {
	return Options{
		Ident:      c.Ident(),
		Prefix:     c.SyslogPrefix(),
		Facility:   c.SyslogFacility(),
		Debug:      c.Debug(),
		Chatty:     c.Chatty(),
		Foreground: foreground,
	}
}

type logger struct {
	mu       sync.Mutex
	ident    string // full syslog ident, prefix included
	facility int
	debug    bool
	chatty   bool
	fg       bool
	socket   string
	stderr   io.Writer
	conn     net.Conn
	stream   bool      // conn is SOCK_STREAM: frame with NUL
	retry    time.Time // do not redial before this
	file     *os.File  // $CASSANDANE_SYSLOG_FNAME
	closed   bool      // replaced by Setup: hand lines to the new logger
	host     string
	pid      int
	now      func() time.Time
}

// std is the process's logger; Setup swaps it atomically.
var std atomic.Pointer[logger]

func init() { std.Store(newLogger(Options{Ident: filepath.Base(os.Args[0])})) }

func newLogger(o Options) *logger {
	l := &logger{
		ident:    o.Ident,
		facility: defaultFacility,
		debug:    o.Debug,
		chatty:   o.Chatty,
		fg:       o.Foreground,
		socket:   o.Socket,
		stderr:   o.Stderr,
		pid:      os.Getpid(),
		now:      time.Now,
	}
	if l.socket == "" {
		l.socket = DefaultSocket
	}
	if l.stderr == nil {
		l.stderr = os.Stderr
	}
	prefix := o.Prefix
	if env, ok := os.LookupEnv("CYRUS_SYSLOG_PREFIX"); ok {
		prefix = env
	}
	if prefix != "" {
		l.ident = prefix + "/" + o.Ident
	}
	if h, err := os.Hostname(); err == nil {
		l.host, _, _ = strings.Cut(h, ".")
	}
	if name := os.Getenv("CASSANDANE_SYSLOG_FNAME"); name != "" {
		if f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
			l.file = f
		}
	}
	return l
}

// Setup replaces the process's logging configuration. It is meant to be
// called once at start (and again after a config reload). An unknown
// facility name falls back to MAIL and is logged, as Cyrus does.
func Setup(o Options) {
	l := newLogger(o)
	bad := false
	if o.Facility != "" {
		if f, ok := facilities[strings.ToUpper(o.Facility)]; ok {
			l.facility = f
		} else {
			bad = true
		}
	}
	old := std.Swap(l)
	old.mu.Lock()
	old.closeLocked()
	old.mu.Unlock()
	if bad {
		Error("config_bad_syslog_facility", "facility", o.Facility, "using", "MAIL")
	}
}

func (l *logger) closeLocked() {
	l.closed = true
	if l.conn != nil {
		l.conn.Close()
		l.conn = nil
	}
	if l.file != nil {
		l.file.Close()
		l.file = nil
	}
}

// Ident returns the syslog ident lines are tagged with.
func Ident() string {
	l := current()
	return l.ident
}

// DebugEnabled reports whether Debug lines are written.
func DebugEnabled() bool { return current().debug }

// ChattyEnabled reports whether Chatty lines are written.
func ChattyEnabled() bool { return current().chatty }

func current() *logger { return std.Load() }

// Error logs at LOG_ERR.
func Error(event string, kv ...any) { current().log(LevelErr, event, kv) }

// Warn logs at LOG_WARNING.
func Warn(event string, kv ...any) { current().log(LevelWarning, event, kv) }

// Notice logs at LOG_NOTICE.
func Notice(event string, kv ...any) { current().log(LevelNotice, event, kv) }

// Info logs at LOG_INFO.
func Info(event string, kv ...any) { current().log(LevelInfo, event, kv) }

// Debug logs at LOG_DEBUG; dropped unless debug is on.
func Debug(event string, kv ...any) { current().log(LevelDebug, event, kv) }

// Chatty logs at LOG_NOTICE when chatty is on (Cyrus logs each protocol
// command that way); otherwise nothing.
func Chatty(event string, kv ...any) {
	l := current()
	if l.chatty {
		l.log(LevelNotice, event, kv)
	}
}

// Printf logs a preformatted line, for messages that keep Cyrus's exact
// wording (e.g. "IOERROR: ...").
func Printf(level Level, format string, args ...any) {
	current().write(level, fmt.Sprintf(format, args...))
}

func (l *logger) log(level Level, event string, kv []any) {
	if level == LevelDebug && !l.debug {
		return
	}
	l.write(level, Format(event, kv...))
}

// Format renders an event and its key/value pairs the way log lines read:
// "event: k1=v1 k2=v2". A lone trailing value is shown as extra=<value>.
func Format(event string, kv ...any) string {
	var b strings.Builder
	b.WriteString(event)
	for i := 0; i < len(kv); i += 2 {
		if i == 0 {
			b.WriteString(":")
		}
		b.WriteByte(' ')
		if i+1 == len(kv) {
			b.WriteString("extra=")
			b.WriteString(quote(text(kv[i])))
			break
		}
		b.WriteString(text(kv[i]))
		b.WriteByte('=')
		b.WriteString(quote(text(kv[i+1])))
	}
	return b.String()
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case error:
		if x == nil {
			return "<nil>"
		}
		return x.Error()
	case fmt.Stringer:
		return x.String()
	case nil:
		return "<nil>"
	}
	return fmt.Sprint(v)
}

func quote(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r <= ' ' || r == '"' || r == '=' || r == 0x7f {
			return strconv.Quote(s)
		}
	}
	return s
}

func (l *logger) write(level Level, msg string) {
	if level == LevelDebug && !l.debug {
		return
	}
	msg = strings.ReplaceAll(msg, "\n", " ")
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		current().write(level, msg)
		return
	}
	defer l.mu.Unlock()
	now := l.now()
	sent := l.sendLocked(level, now, msg)
	// The $CASSANDANE_SYSLOG_FNAME file stands in for the missing socket
	// (Cassandane reads it as syslog): a line written there is logged.
	if l.fg || (!sent && l.file == nil) {
		fmt.Fprintf(l.stderr, "%s[%d]: %s\n", l.ident, l.pid, msg)
	}
	if l.file != nil {
		fmt.Fprintf(l.file, "%s %s %s[%d]: %s\n", now.Format(time.Stamp), l.host, l.ident, l.pid, msg)
	}
}

// sendLocked writes one line to the syslog socket in the local format of
// glibc's syslog(3): "<PRI>Mon _2 15:04:05 ident[pid]: msg".
func (l *logger) sendLocked(level Level, now time.Time, msg string) bool {
	line := fmt.Sprintf("<%d>%s %s[%d]: %s", l.facility<<3|int(level), now.Format(time.Stamp), l.ident, l.pid, msg)
	for attempt := 0; attempt < 2; attempt++ {
		if l.conn == nil && !l.dialLocked(now) {
			return false
		}
		out := line
		if l.stream {
			out += "\x00"
		}
		if _, err := l.conn.Write([]byte(out)); err == nil {
			return true
		}
		l.conn.Close()
		l.conn = nil
		l.retry = time.Time{}
	}
	return false
}

func (l *logger) dialLocked(now time.Time) bool {
	if now.Before(l.retry) {
		return false
	}
	for _, network := range []string{"unixgram", "unix"} {
		c, err := net.DialTimeout(network, l.socket, time.Second)
		if err == nil {
			l.conn, l.stream = c, network == "unix"
			return true
		}
	}
	l.retry = now.Add(10 * time.Second)
	return false
}
