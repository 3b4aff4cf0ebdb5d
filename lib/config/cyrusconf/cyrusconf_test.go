package cyrusconf

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	c, err := Parse("cyrus.conf", []byte(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func parseErr(t *testing.T, text string) *Error {
	t.Helper()
	_, err := Parse("cyrus.conf", []byte(text))
	if err == nil {
		t.Fatalf("Parse(%q) succeeded, want an error", text)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not *Error", err)
	}
	return e
}

func TestFullExample(t *testing.T) {
	c := mustParse(t, `# cyrus.conf
START {
    recover     cmd="ctl_cyrusdb -r"
}

SERVICES {
    imap        cmd="imapd" listen="imap" prefork=1 maxchild=200
    imaps       cmd="imapd -s" listen="imaps" prefork=1 maxchild=200
    pop3        cmd="pop3d -U 50" listen="pop3" prefork=0 maxchild=50
    lmtpunix    cmd="lmtpd" listen="/run/cyrus/socket/lmtp" prefork=1 maxchild=20
    lmtp        cmd="lmtpd -a" listen="127.0.0.1:lmtp" proto="tcp4"
    imap6       cmd="imapd" listen="[2001:db8::10]:143" proto="tcp6"
    fud         cmd="fud" listen="fud" proto="udp" prefork=3 maxchild=9
    watched     cmd="imapd" listen=1143 babysit=yes
}

EVENTS {
    checkpoint  cmd="ctl_cyrusdb -c" period=30
    delprune    cmd="cyr_expire -E 3 -D 7 -X 7" at=0400
    once        cmd="tls_prune"
}

DAEMON {
    idled       cmd="idled"
    syncclient  cmd="sync_client -r" wait=y maxfds=100
}
`)
	if len(c.Problems) != 0 {
		t.Fatalf("problems: %v", c.Problems)
	}
	wantStart := []Start{{Name: "recover", Line: 3, Cmd: []string{"ctl_cyrusdb", "-r"}}}
	if !reflect.DeepEqual(c.Start, wantStart) {
		t.Errorf("Start = %+v, want %+v", c.Start, wantStart)
	}
	wantSvc := []Service{
		{Name: "imap", Line: 7, Cmd: []string{"imapd"}, Listen: "imap", Proto: "tcp", Prefork: 1, MaxChild: 200},
		{Name: "imaps", Line: 8, Cmd: []string{"imapd", "-s"}, Listen: "imaps", Proto: "tcp", Prefork: 1, MaxChild: 200},
		{Name: "pop3", Line: 9, Cmd: []string{"pop3d", "-U", "50"}, Listen: "pop3", Proto: "tcp", MaxChild: 50},
		{Name: "lmtpunix", Line: 10, Cmd: []string{"lmtpd"}, Listen: "/run/cyrus/socket/lmtp", Proto: "tcp", Prefork: 1, MaxChild: 20},
		{Name: "lmtp", Line: 11, Cmd: []string{"lmtpd", "-a"}, Listen: "127.0.0.1:lmtp", Proto: "tcp4", MaxChild: Unlimited},
		{Name: "imap6", Line: 12, Cmd: []string{"imapd"}, Listen: "[2001:db8::10]:143", Proto: "tcp6", MaxChild: Unlimited},
		// datagram: prefork capped at 1, maxchild forced to 1
		{Name: "fud", Line: 13, Cmd: []string{"fud"}, Listen: "fud", Proto: "udp", Prefork: 1, MaxChild: 1},
		// babysit raises prefork to 1 and maxforkrate to 10
		{Name: "watched", Line: 14, Cmd: []string{"imapd"}, Listen: "1143", Proto: "tcp", Prefork: 1, MaxChild: Unlimited, Babysit: true, MaxForkRate: 10},
	}
	if !reflect.DeepEqual(c.Services, wantSvc) {
		t.Errorf("Services =\n%+v\nwant\n%+v", c.Services, wantSvc)
	}
	wantEv := []Event{
		{Name: "checkpoint", Line: 18, Cmd: []string{"ctl_cyrusdb", "-c"}, Period: 30 * time.Minute, At: -1},
		{Name: "delprune", Line: 19, Cmd: []string{"cyr_expire", "-E", "3", "-D", "7", "-X", "7"}, Period: 24 * time.Hour, At: 400},
		{Name: "once", Line: 20, Cmd: []string{"tls_prune"}, At: -1},
	}
	if !reflect.DeepEqual(c.Events, wantEv) {
		t.Errorf("Events = %+v, want %+v", c.Events, wantEv)
	}
	if h, m, ok := c.Events[1].Daily(); !ok || h != 4 || m != 0 {
		t.Errorf("Daily() = %d %d %v", h, m, ok)
	}
	wantD := []Daemon{
		{Name: "idled", Line: 24, Cmd: []string{"idled"}, MaxForkRate: 10},
		{Name: "syncclient", Line: 25, Cmd: []string{"sync_client", "-r"}, Wait: true, MaxFDs: 100, MaxForkRate: 10},
	}
	if !reflect.DeepEqual(c.Daemons, wantD) {
		t.Errorf("Daemons = %+v, want %+v", c.Daemons, wantD)
	}
	names := c.ServiceNames()
	if strings.Join(names, ",") != "imap,imaps,pop3,lmtpunix,lmtp,imap6,fud,watched" {
		t.Errorf("ServiceNames = %v", names)
	}
}

// The '#' rule: a comment starts at the first '#' anywhere, even inside
// quotes.
func TestCommentAnywhere(t *testing.T) {
	c := mustParse(t, "SERVICES { # the services\n"+
		"  imap cmd=imapd#x listen=143\n"+
		"# whole line\n"+
		"   # indented\n"+
		"}\n")
	if len(c.Services) != 0 || len(c.Problems) != 1 {
		t.Fatalf("want the imap entry to lose its listen= to the comment: %+v %v", c.Services, c.Problems)
	}
	if c.Problems[0].Line != 2 || !strings.Contains(c.Problems[0].Msg, "unable to find command or port for service 'imap'") {
		t.Errorf("problem = %v", c.Problems[0])
	}
	// and a '#' inside a quoted value cuts the quote: missing "
	e := parseErr(t, "START {\n a cmd=\"x#\"\n}\n")
	if e.Line != 2 || !strings.Contains(e.Msg, `missing "`) {
		t.Errorf("err = %v", e)
	}
}

func TestQuotingAndBareWords(t *testing.T) {
	c := mustParse(t, "SERVICES {\n"+
		"  a cmd=\"x  y\tz\" listen=143 proto=tcp4\n"+
		"  b cmd=x\"y listen=\"[::1]:144\"prefork=2\n"+ // value ends at the quote; next arg follows directly
		"  c cmd=\"\" listen=1\n"+
		"  d cmd=y listen=\"\"\n"+
		"}\n")
	if len(c.Services) != 2 {
		t.Fatalf("services = %+v problems %v", c.Services, c.Problems)
	}
	if got := c.Services[0].Cmd; !reflect.DeepEqual(got, []string{"x", "y", "z"}) {
		t.Errorf("cmd = %q", got)
	}
	b := c.Services[1]
	if !reflect.DeepEqual(b.Cmd, []string{`x"y`}) || b.Listen != "[::1]:144" || b.Prefork != 2 {
		t.Errorf("b = %+v", b)
	}
	if len(c.Problems) != 2 || c.Problems[0].Line != 4 || c.Problems[1].Line != 5 {
		t.Errorf("problems = %v", c.Problems)
	}
}

func TestFirstKeyWins(t *testing.T) {
	c := mustParse(t, "SERVICES {\n a cmd=one listen=1 cmd=two unknown=3\n}\n")
	if got := c.Services[0].Cmd[0]; got != "one" {
		t.Errorf("cmd = %q, want the first", got)
	}
	if v, ok := c.Raw.Services[0].Get("unknown"); !ok || v != "3" {
		t.Errorf("unknown key not kept raw: %q %v", v, ok)
	}
}

func TestSectionHeaders(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int // START entries found
	}{
		{"START {\n a cmd=x\n}\n", 1},
		{"START{\n a cmd=x\n}\n", 1},
		{"StArT {\n a cmd=x\n}\n", 1},                         // rest of the name in any case
		{"start {\n a cmd=x\n}\n", 0},                         // first letter must match exactly
		{"STARTUP {\n a cmd=x\n}\n", 0},                       // followed by an alphanumeric
		{"START_X {\n a cmd=x\n}\n", 1},                       // '_' is not alphanumeric
		{"START\n{\n a cmd=x\n}\n", 0},                        // the brace must be on the header line
		{"START { a cmd=x\n b cmd=y\n}\n", 1},                 // entries on the header line are ignored
		{"START {\n a cmd=x\n}\nSTART {\n b cmd=y\n}\n", 1},   // only the first occurrence
		{"OTHER {\n a-b cmd=x\n}\nSTART {\n a cmd=x\n}\n", 1}, // unknown sections are skipped unread
		{"OTHER {\n START {\n a cmd=x\n }\n}\n", 0},           // nested: depth is not 0
		{"START {\n a cmd=x\n", 1},                            // unterminated: to end of file
		{"START {{\n a cmd=x\n}\n", 0},                        // depth 2 is not an opening
		{"}\nSTART {\n a cmd=x\n}\n", 0},                      // a stray '}' hides what follows
		{"START {\n a cmd=x\n   }\n b cmd=y\n", 1},            // indented '}' closes
	} {
		c, err := Parse("t", []byte(tc.text))
		if err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		if len(c.Start) != tc.want {
			t.Errorf("%q: %d START entries, want %d", tc.text, len(c.Start), tc.want)
		}
	}
	// the second START of the "only first occurrence" case must be b-less
	c := mustParse(t, "START {\n a cmd=x\n}\nSTART {\n b cmd=y\n}\n")
	if c.Start[0].Name != "a" {
		t.Errorf("got %q", c.Start[0].Name)
	}
}

func TestLexicalErrors(t *testing.T) {
	for _, tc := range []struct {
		text, msg string
		line      int
	}{
		{"SERVICES {\n\n imap cmd=imapd listen=143\n tw-o cmd=x listen=1\n}\n", "cyrus.conf:4: bad character '-' in name", 4},
		{"START {\n a_b cmd=x\n}\n", "bad character '_' in name", 2},
		{"START {\n a cmd=x listen\n}\n", "bad character end of line in argument", 2},
		{"START {\n a cmd=x lis-ten=1\n}\n", "bad character '-' in argument", 2},
		{"START {\n a cmd = x\n}\n", "bad character ' ' in argument", 2},
		{"START {\n a cmd=\"x\n}\n", `missing " in value of "cmd"`, 2},
		{"START {\n a cmd=x }\n}\n", "bad character '}' in argument", 2},
		{"START {\n -a cmd=x\n}\n", "bad character ' ' in argument", 2}, // Cyrus: empty name, then "a" lacks '='
		{"START {\n a\x01 cmd=x\n}\n", `bad character '\x01' in name`, 2},
		{"START {\n a\xc3\xa9 cmd=x\n}\n", `bad character '\xc3' in name`, 2},
	} {
		e := parseErr(t, tc.text)
		if e.Line != tc.line || !strings.Contains(e.Error(), tc.msg) {
			t.Errorf("%q: got %q, want line %d and %q", tc.text, e.Error(), tc.line, tc.msg)
		}
	}
	// Errors in unknown or not-first sections are never seen.
	mustParse(t, "FOO {\n a-b\n}\n")
	mustParse(t, "START {\n}\nSTART {\n a-b\n}\n")
}

func TestArgLimit(t *testing.T) {
	args := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(" k=v")
		}
		return b.String()
	}
	c := mustParse(t, "START {\n a cmd=x"+args(63)+"\n}\n")
	if len(c.Raw.Start[0].Args) != 64 {
		t.Errorf("%d args", len(c.Raw.Start[0].Args))
	}
	e := parseErr(t, "START {\n a cmd=x"+args(64)+"\n}\n")
	if e.Line != 2 || !strings.Contains(e.Msg, "too many arguments") {
		t.Errorf("err = %v", e)
	}
}

func TestEmptyNameAndKey(t *testing.T) {
	// As in Cyrus, a line starting with a non-alphanumeric gives an entry
	// with an empty name; we report it. "=v" is an argument with an empty key.
	c := mustParse(t, "START {\n -cmd=x =v\n}\n")
	if len(c.Raw.Start) != 1 || c.Raw.Start[0].Name != "" {
		t.Fatalf("raw = %+v", c.Raw.Start)
	}
	if v, _ := c.Raw.Start[0].Get(""); v != "v" {
		t.Errorf("empty key = %q", v)
	}
	if len(c.Start) != 0 || len(c.Problems) != 1 || !strings.Contains(c.Problems[0].Error(), "cyrus.conf:2: entry without a name") {
		t.Errorf("start %+v problems %v", c.Start, c.Problems)
	}
}

func TestLongLinesSplitLikeFgets(t *testing.T) {
	// fgets with a 4096-byte buffer returns 4095 bytes: the rest of a
	// longer line is read as the next line, and counted as one.
	head := " a cmd=" + strings.Repeat("x", 4095-len(" a cmd="))
	c := mustParse(t, "START {\n"+head+" b cmd=y\n c cmd=z\n}\n")
	if len(c.Start) != 3 || c.Start[1].Name != "b" || c.Start[1].Line != 3 || c.Start[2].Line != 4 {
		t.Fatalf("start = %+v", c.Start)
	}
	if len(c.Start[0].Cmd[0]) != 4095-len(" a cmd=") {
		t.Errorf("first chunk cmd length %d", len(c.Start[0].Cmd[0]))
	}
}

func TestCRLFAndNUL(t *testing.T) {
	c := mustParse(t, "START {\r\n a cmd=x\r\n}\r\n")
	if len(c.Start) != 1 || !reflect.DeepEqual(c.Start[0].Cmd, []string{"x"}) {
		t.Errorf("CRLF: %+v", c.Start)
	}
	c = mustParse(t, "START {\n a cmd=x\x00garbage-#\"\n}\n")
	if len(c.Start) != 1 || c.Start[0].Cmd[0] != "x" {
		t.Errorf("NUL: %+v", c.Start)
	}
}

func TestIntAndSwitch(t *testing.T) {
	e := Entry{Args: []Arg{
		{"a", "12abc"}, {"b", "-3"}, {"c", "x1"}, {"d", "-"}, {"e", ""},
		{"f", "99999999999"}, {"g", " 5"},
		{"s1", "yes"}, {"s2", "no"}, {"s3", "on"}, {"s4", "off"}, {"s5", "true"},
		{"s6", "false"}, {"s7", "1"}, {"s8", "0"}, {"s9", "Yes"}, {"s10", "o"}, {"s11", ""},
	}}
	for key, want := range map[string]int{"a": 12, "b": -3, "c": 7, "d": 7, "e": 7, "f": 2147483647, "g": 7, "none": 7} {
		if got := e.Int(key, 7); got != want {
			t.Errorf("Int(%s) = %d, want %d", key, got, want)
		}
	}
	for key, want := range map[string]int{"s1": 1, "s2": 0, "s3": 1, "s4": 0, "s5": 1, "s6": 0, "s7": 1, "s8": 0, "s9": -1, "s10": -1, "s11": -1, "none": -1} {
		got := -1
		if e.Switch(key, false) == e.Switch(key, true) {
			got = 0
			if e.Switch(key, false) {
				got = 1
			}
		}
		if got != want {
			t.Errorf("Switch(%s) = %d, want %d (-1 = default)", key, got, want)
		}
	}
}

func TestMaxchildAtoi(t *testing.T) {
	c := mustParse(t, "SERVICES {\n a cmd=x listen=1 maxchild=abc\n b cmd=x listen=2 maxchild=-5\n c cmd=x listen=3 maxchild=7x\n}\n")
	got := []int{c.Services[0].MaxChild, c.Services[1].MaxChild, c.Services[2].MaxChild}
	if !reflect.DeepEqual(got, []int{0, Unlimited, 7}) {
		t.Errorf("maxchild = %v", got)
	}
}

func TestEventAt(t *testing.T) {
	c := mustParse(t, "EVENTS {\n"+
		" a cmd=x at=400\n"+ // 04:00
		" b cmd=x at=2359 period=5\n"+
		" c cmd=x at=2400 period=5\n"+ // out of range: period applies
		" d cmd=x at=1260\n"+ // minute 60: ignored
		" e cmd=x at=0\n"+
		" f cmd=x period=-1\n"+
		" g period=1\n"+
		"}\n")
	want := []struct {
		at     int
		period time.Duration
	}{{400, 24 * time.Hour}, {2359, 24 * time.Hour}, {-1, 5 * time.Minute}, {-1, 0}, {0, 24 * time.Hour}}
	if len(c.Events) != len(want) {
		t.Fatalf("events = %+v", c.Events)
	}
	for i, w := range want {
		if c.Events[i].At != w.at || c.Events[i].Period != w.period {
			t.Errorf("event %s: at %d period %v, want %d %v", c.Events[i].Name, c.Events[i].At, c.Events[i].Period, w.at, w.period)
		}
	}
	if len(c.Problems) != 2 || !strings.Contains(c.Problems[0].Msg, "negative period") ||
		c.Problems[1].Error() != "cyrus.conf:8: unable to find command or port for event 'g'" {
		t.Errorf("problems = %v", c.Problems)
	}
}

func TestDuplicates(t *testing.T) {
	c := mustParse(t, `SERVICES {
  imap cmd=imapd listen=143
  imap cmd=imapd listen=144
  idled cmd=x listen=1
}
EVENTS {
  ev cmd=x
  ev cmd=y
  imap cmd=z
}
DAEMON {
  idled cmd=idled
  sync cmd=sync_client wait=y
  imap cmd=x wait=y
  sync cmd=other
}
START {
  s cmd=a
  s cmd=b
}
`)
	var msgs []string
	for _, p := range c.Problems {
		msgs = append(msgs, p.Error())
	}
	want := []string{
		"cyrus.conf:3: multiple entries for service 'imap'",
		"cyrus.conf:12: multiple entries for service 'idled'",
		"cyrus.conf:14: multiple entries for waitdaemon 'imap'",
		"cyrus.conf:15: multiple entries for service 'sync'",
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("problems =\n%s\nwant\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	// EVENTS and START names may repeat.
	if len(c.Events) != 3 || len(c.Start) != 2 || len(c.Services) != 2 || len(c.Daemons) != 1 {
		t.Errorf("counts: %d events %d start %d services %d daemons", len(c.Events), len(c.Start), len(c.Services), len(c.Daemons))
	}
}

func TestMissingCmdOrListen(t *testing.T) {
	c := mustParse(t, "START {\n s\n}\nSERVICES {\n a cmd=x\n b listen=1\n c cmd=\" \" listen=1\n}\nDAEMON {\n d maxfds=3\n}\n")
	var msgs []string
	for _, p := range c.Problems {
		msgs = append(msgs, p.Error())
	}
	want := []string{
		"cyrus.conf:2: unable to find command for s",
		"cyrus.conf:5: unable to find command or port for service 'a'",
		"cyrus.conf:6: unable to find command or port for service 'b'",
		"cyrus.conf:7: unable to find command or port for service 'c'",
		"cyrus.conf:10: unable to find command or port for service 'd'",
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("problems =\n%s\nwant\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
}

func TestStream(t *testing.T) {
	for _, tc := range []struct {
		listen, proto string
		stream        bool
	}{
		{"143", "tcp", true}, {"143", "tcp6", true}, {"143", "udp", false},
		{"/s", "tcp", true}, {"/s", "tcp4", false}, {"/s", "udp", false},
	} {
		s := Service{Listen: tc.listen, Proto: tc.proto}
		if s.Stream() != tc.stream {
			t.Errorf("%s/%s: Stream() = %v", tc.listen, tc.proto, !tc.stream)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/cyrus.conf"
	if err := os.WriteFile(path, []byte("START {\n a cmd=x\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil || len(c.Start) != 1 || c.File != path {
		t.Fatalf("Load: %v %+v", err, c)
	}
	if _, err := Load(dir + "/missing"); err == nil || !strings.Contains(err.Error(), "missing: can't open configuration file") {
		t.Errorf("missing file: %v", err)
	}
	// $CYRUS_PREFIX is tried first.
	if err := os.MkdirAll(dir+"/prefix"+dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/prefix"+path, []byte("START {\n a cmd=x\n b cmd=y\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CYRUS_PREFIX", dir+"/prefix")
	c, err = Load(path)
	if err != nil || len(c.Start) != 2 {
		t.Fatalf("Load with CYRUS_PREFIX: %v %+v", err, c)
	}
}

// The Debian package's /etc/cyrus.conf, when installed on this machine.
func TestDebianCyrusConf(t *testing.T) {
	if _, err := os.Stat(DefaultPath); err != nil {
		t.Skipf("%s not installed: %v", DefaultPath, err)
	}
	c, err := Load(DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Problems) != 0 {
		t.Fatalf("problems: %v", c.Problems)
	}
	if len(c.Services) == 0 {
		t.Fatalf("no services in %s", DefaultPath)
	}
	for _, s := range c.Services {
		if _, err := ParseListen(s.Listen); err != nil {
			t.Errorf("service %s: listen %q: %v", s.Name, s.Listen, err)
		}
		if s.Name == "imap" && (s.Cmd[0] != "imapd" || s.MaxChild != 100) {
			t.Errorf("imap = %+v", s)
		}
	}
}
