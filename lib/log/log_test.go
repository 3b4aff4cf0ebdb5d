package log

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gyrus/lib/config"
)

// syslogd is a fake syslog socket collecting datagrams.
type syslogd struct {
	path string
	conn *net.UnixConn
}

func newSyslogd(t *testing.T) *syslogd {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &syslogd{path: path, conn: c}
}

func (s *syslogd) next(t *testing.T) string {
	t.Helper()
	buf := make([]byte, 8192)
	s.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := s.conn.Read(buf)
	if err != nil {
		t.Fatalf("no datagram: %v", err)
	}
	return string(buf[:n])
}

func (s *syslogd) none(t *testing.T) {
	t.Helper()
	buf := make([]byte, 8192)
	s.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := s.conn.Read(buf); err == nil {
		t.Fatalf("unexpected datagram %q", buf[:n])
	}
}

func reset(t *testing.T) {
	t.Cleanup(func() { Setup(Options{Ident: "log.test", Stderr: os.Stderr}) })
}

func TestFormat(t *testing.T) {
	cases := []struct {
		event string
		kv    []any
		want  string
	}{
		{"login", []any{"host", "[127.0.0.1]", "user", "alice", "mech", "PLAIN"}, "login: host=[127.0.0.1] user=alice mech=PLAIN"},
		{"shutdown", nil, "shutdown"},
		{"x", []any{"n", 42, "err", errors.New("no such file"), "empty", "", "d", time.Second}, `x: n=42 err="no such file" empty="" d=1s`},
		{"x", []any{"q", `a"b`, "eq", "a=b", "nl", "a\nb"}, `x: q="a\"b" eq="a=b" nl="a\nb"`},
		{"odd", []any{"k", "v", "lonely"}, "odd: k=v extra=lonely"},
	}
	for _, tc := range cases {
		if got := Format(tc.event, tc.kv...); got != tc.want {
			t.Errorf("Format = %q, want %q", got, tc.want)
		}
	}
}

func TestSyslogSocket(t *testing.T) {
	reset(t)
	d := newSyslogd(t)
	var stderr bytes.Buffer
	t.Setenv("CYRUS_SYSLOG_PREFIX", "")
	os.Unsetenv("CYRUS_SYSLOG_PREFIX")
	Setup(Options{Ident: "imap", Prefix: "cyrus", Facility: "local6", Socket: d.path, Stderr: &stderr})
	Info("login", "user", "alice")
	got := d.next(t)
	re := regexp.MustCompile(fmt.Sprintf(`^<182>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d cyrus/imap\[%d\]: login: user=alice$`, os.Getpid()))
	if !re.MatchString(got) {
		t.Errorf("datagram %q", got)
	}
	Error("boom")
	if got := d.next(t); !strings.HasPrefix(got, "<179>") {
		t.Errorf("LOG_ERR priority: %q", got)
	}
	Debug("hidden")
	d.none(t)
	if stderr.Len() != 0 {
		t.Errorf("stderr used although syslog works: %q", stderr.String())
	}
	if Ident() != "cyrus/imap" {
		t.Errorf("Ident = %q", Ident())
	}
}

func TestDefaultFacilityAndEnvPrefix(t *testing.T) {
	reset(t)
	d := newSyslogd(t)
	t.Setenv("CYRUS_SYSLOG_PREFIX", "envpfx")
	Setup(Options{Ident: "lmtpunix", Prefix: "cyrus", Socket: d.path, Debug: true})
	Debug("visible")
	got := d.next(t)
	if !strings.HasPrefix(got, "<23>") || !strings.Contains(got, " envpfx/lmtpunix[") || !strings.HasSuffix(got, ": visible") {
		t.Errorf("datagram %q (want MAIL.DEBUG = 23, env prefix)", got)
	}
}

func TestBadFacility(t *testing.T) {
	reset(t)
	d := newSyslogd(t)
	os.Unsetenv("CYRUS_SYSLOG_PREFIX")
	Setup(Options{Ident: "x", Facility: "KERNEL", Socket: d.path})
	got := d.next(t)
	if !strings.HasPrefix(got, "<19>") || !strings.Contains(got, "config_bad_syslog_facility: facility=KERNEL") {
		t.Errorf("bad facility report %q", got)
	}
}

func TestStderrWithoutSocket(t *testing.T) {
	reset(t)
	var stderr bytes.Buffer
	os.Unsetenv("CYRUS_SYSLOG_PREFIX")
	Setup(Options{Ident: "quota", Socket: filepath.Join(t.TempDir(), "nosuch"), Stderr: &stderr})
	Warn("quota_fix", "root", "user.bob")
	want := fmt.Sprintf("quota[%d]: quota_fix: root=user.bob\n", os.Getpid())
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

// A $CASSANDANE_SYSLOG_FNAME file stands in for a missing socket: the
// line goes there and not to stderr.
func TestCassandaneFileInsteadOfSocket(t *testing.T) {
	reset(t)
	var stderr bytes.Buffer
	file := filepath.Join(t.TempDir(), "syslog")
	t.Setenv("CASSANDANE_SYSLOG_FNAME", file)
	Setup(Options{Ident: "quota", Socket: filepath.Join(t.TempDir(), "nosuch"), Stderr: &stderr})
	Warn("quota_fix", "root", "user.bob")
	data, _ := os.ReadFile(file)
	if stderr.Len() != 0 || !strings.Contains(string(data), "quota_fix: root=user.bob") {
		t.Errorf("stderr %q, file %q", stderr.String(), data)
	}
}

func TestForegroundAndCassandaneFile(t *testing.T) {
	reset(t)
	d := newSyslogd(t)
	var stderr bytes.Buffer
	file := filepath.Join(t.TempDir(), "syslog")
	t.Setenv("CASSANDANE_SYSLOG_FNAME", file)
	os.Unsetenv("CYRUS_SYSLOG_PREFIX")
	Setup(Options{Ident: "imapd", Foreground: true, Socket: d.path, Stderr: &stderr})
	Notice("hello", "a", 1)
	d.next(t)
	if !strings.HasSuffix(stderr.String(), "imapd["+fmt.Sprint(os.Getpid())+"]: hello: a=1\n") {
		t.Errorf("foreground stderr %q", stderr.String())
	}
	data, _ := os.ReadFile(file)
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	re := regexp.MustCompile(fmt.Sprintf(`^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d %s imapd\[%d\]: hello: a=1\n$`, regexp.QuoteMeta(host), os.Getpid()))
	if !re.Match(data) {
		t.Errorf("cassandane file %q", data)
	}
}

func TestChattyAndPrintf(t *testing.T) {
	reset(t)
	var stderr bytes.Buffer
	os.Unsetenv("CYRUS_SYSLOG_PREFIX")
	Setup(Options{Ident: "imap", Socket: "/nonexistent/log", Stderr: &stderr})
	Chatty("command", "tag", "a1")
	if stderr.Len() != 0 || ChattyEnabled() {
		t.Errorf("chatty off must log nothing: %q", stderr.String())
	}
	Setup(Options{Ident: "imap", Chatty: true, Socket: "/nonexistent/log", Stderr: &stderr})
	Chatty("command", "tag", "a1")
	Printf(LevelErr, "IOERROR: opening %s: %s", "/x", "no such file")
	out := stderr.String()
	if !strings.Contains(out, "]: command: tag=a1\n") || !strings.Contains(out, "]: IOERROR: opening /x: no such file\n") {
		t.Errorf("stderr %q", out)
	}
}

func TestFromConfig(t *testing.T) {
	c, err := config.FromMap(map[string]string{"configdirectory": "/c", "syslog_prefix": "cyrus",
		"syslog_facility": "LOCAL0", "debug": "on", "chatty": "yes"}, "pop3")
	if err != nil {
		t.Fatal(err)
	}
	o := FromConfig(c, true)
	if o.Ident != "pop3" || o.Prefix != "cyrus" || o.Facility != "LOCAL0" || !o.Debug || !o.Chatty || !o.Foreground {
		t.Errorf("FromConfig = %+v", o)
	}
}

// TestConcurrent: lines from many goroutines arrive whole, none lost,
// while Setup swaps the logger underneath.
func TestConcurrent(t *testing.T) {
	reset(t)
	file := filepath.Join(t.TempDir(), "syslog")
	t.Setenv("CASSANDANE_SYSLOG_FNAME", file)
	os.Unsetenv("CYRUS_SYSLOG_PREFIX")
	var sink bytes.Buffer
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return sink.Write(p) })
	Setup(Options{Ident: "c", Socket: "/nonexistent/log", Stderr: w, Foreground: true})
	const G, N = 20, 200
	var wg sync.WaitGroup
	for g := 0; g < G; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < N; i++ {
				Info("line", "g", g, "i", i, "pad", strings.Repeat("x", 50))
				if g == 0 && i == N/2 {
					Setup(Options{Ident: "c", Socket: "/nonexistent/log", Stderr: w, Foreground: true})
				}
			}
		}(g)
	}
	wg.Wait()
	mu.Lock()
	lines := strings.Count(sink.String(), "\n")
	mu.Unlock()
	if lines != G*N {
		t.Errorf("stderr got %d lines, want %d", lines, G*N)
	}
	f, _ := os.Open(file)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	re := regexp.MustCompile(`: line: g=\d+ i=\d+ pad=x{50}$`)
	for sc.Scan() {
		if !re.MatchString(sc.Text()) {
			t.Fatalf("torn line %q", sc.Text())
		}
		n++
	}
	if n != G*N {
		t.Errorf("file got %d lines, want %d", n, G*N)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
