package tool

import (
	"bytes"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/urfave/cli/v2"

	"gyrus/lib/sysexits"
)

func TestNormalize(t *testing.T) {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "C"}, &cli.BoolFlag{Name: "r"}, &cli.BoolFlag{Name: "f"},
		&cli.IntFlag{Name: "U"}, &cli.BoolFlag{Name: "man"},
	}
	cases := []struct {
		in      string
		permute bool
		want    string
	}{
		{"-rf", true, "-r -f --"},
		{"-rfC /x.conf a", true, "-r -f -C /x.conf -- a"},
		{"-C/x.conf", true, "-C /x.conf --"},
		{"-C -r", true, "-C -r --"},
		{"a -r b -U 5", true, "-r -U 5 -- a b"},
		{"a -r b", false, "-- a -r b"},
		{"-r -- -f a", true, "-r -- -f a"},
		{"--man -", true, "--man -- -"},
		{"--C /y -x", true, "--C /y -x --"},
		{"-U -5", true, "-U -5 --"},
	}
	if _, missing := normalize([]string{"-r", "-C"}, flags, true); missing != "C" {
		t.Errorf("missing value not reported: %q", missing)
	}
	if _, missing := normalize([]string{"-rU"}, flags, true); missing != "U" {
		t.Errorf("missing value not reported: %q", missing)
	}
	for _, tc := range cases {
		norm, _ := normalize(strings.Fields(tc.in), flags, tc.permute)
		got := strings.Join(norm, " ")
		if got != tc.want {
			t.Errorf("normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func writeConf(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	p := filepath.Join(dir, "imapd.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runProg(p Program, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(&p, append([]string{p.Name}, args...), &o, &e)
	return code, o.String(), e.String()
}

// nonRoot makes the test process's privilege switch a no-op where the
// test does not want one (tests may run as root).
func nonRoot(t *testing.T) {
	t.Setenv("CYRUS_USER", "root")
}

func TestConfigAndFlags(t *testing.T) {
	nonRoot(t)
	conf := writeConf(t, "configdirectory: /var/lib/x\nmytool_timeout: 5\n")
	var got struct {
		ident   string
		timeout string
		r, f    bool
		args    []string
	}
	p := Program{
		Name:  "mytool",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "r"}, &cli.BoolFlag{Name: "f"}},
		Action: func(ctx *Context) error {
			got.ident = ctx.Ident
			got.timeout = ctx.Config.Timeout().String()
			got.r, got.f = ctx.Bool("r"), ctx.Bool("f")
			got.args = ctx.Args().Slice()
			return nil
		},
	}
	code, _, stderr := runProg(p, "x", "-rf", "-C", conf, "y")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got.ident != "mytool" || got.timeout != "5m0s" || !got.r || !got.f || strings.Join(got.args, ",") != "x,y" {
		t.Errorf("got %+v", got)
	}
}

func TestServiceIdent(t *testing.T) {
	nonRoot(t)
	conf := writeConf(t, "configdirectory: /c\nimaps_servername: s-imaps\nservername: plain\n")
	t.Setenv("CYRUS_SERVICE", "imaps")
	var name string
	p := Program{Name: "imapd", Service: true, Action: func(ctx *Context) error {
		name = ctx.Ident + " " + ctx.Config.Servername()
		return nil
	}}
	if code, _, e := runProg(p, "-C", conf); code != 0 || name != "imaps s-imaps" {
		t.Errorf("exit %d %q: %s", code, name, e)
	}
}

func TestConfigErrors(t *testing.T) {
	nonRoot(t)
	ran := false
	p := Program{Name: "t", Action: func(*Context) error { ran = true; return nil }}
	bad := writeConf(t, "configdirectory: /c\n\ntimeout: 10x\n")
	code, _, stderr := runProg(p, "-C", bad)
	want := "fatal error: " + bad + `:3: timeout: unparsable duration "10x"`
	if code != sysexits.Config || !strings.HasPrefix(stderr, want) || ran {
		t.Errorf("exit %d ran=%v stderr %q, want 78 and %q", code, ran, stderr, want)
	}
	code, _, stderr = runProg(p, "-C", "/nonexistent/imapd.conf")
	if code != sysexits.Config || !strings.Contains(stderr, "fatal error: /nonexistent/imapd.conf: can't open configuration file") {
		t.Errorf("missing file: exit %d %q", code, stderr)
	}
	p.NeedPartitions = true
	code, _, stderr = runProg(p, "-C", writeConf(t, "configdirectory: /c\ndefaultpartition: x\n"))
	if code != sysexits.Config || !strings.Contains(stderr, "partition-x: option not specified") {
		t.Errorf("partitions: exit %d %q", code, stderr)
	}
}

func TestExits(t *testing.T) {
	nonRoot(t)
	conf := writeConf(t, "configdirectory: /c\n")
	for _, tc := range []struct {
		err    error
		code   int
		stderr string
	}{
		{Fatal(sysexits.NoInput, "cannot open %s", "x"), 66, "fatal error: cannot open x\n"},
		{Exit(3), 3, ""},
		{fmt.Errorf("boom"), 1, "fatal error: boom\n"},
		{Usage("need a command"), 255, "need a command\nt [-C file] command\n"},
	} {
		p := Program{Name: "t", UsageText: "t [-C file] command\n", UsageExit: sysexits.Minus1,
			Action: func(*Context) error { return tc.err }}
		code, _, stderr := runProg(p, "-C", conf)
		if code != tc.code || stderr != tc.stderr {
			t.Errorf("%v: exit %d stderr %q, want %d %q", tc.err, code, stderr, tc.code, tc.stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	p := Program{Name: "cyr_x", ArgsUsage: "[-C file] [-m]", Flags: []cli.Flag{&cli.BoolFlag{Name: "m"}},
		Action: func(*Context) error { t.Error("action ran"); return nil }}
	code, _, stderr := runProg(p, "-z")
	if code != sysexits.Usage || stderr != "cyr_x: invalid option -- 'z'\nusage: cyr_x [-C file] [-m]\n" {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
	code, _, stderr = runProg(p, "-C")
	if code != sysexits.Usage || !strings.HasPrefix(stderr, "cyr_x: option requires an argument -- 'C'\n") {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
	code, stdout, _ := runProg(p, "--help")
	if code != 0 || !strings.Contains(stdout, "-C FILE") || !strings.Contains(stdout, "-m") {
		t.Errorf("--help: exit %d %q", code, stdout)
	}
}

func TestLazyAndNoConfig(t *testing.T) {
	p := Program{Name: "t", LazyInit: true, Action: func(ctx *Context) error {
		if ctx.Config != nil {
			t.Error("config loaded before Init")
		}
		return nil
	}}
	if code, _, e := runProg(p, "-C", "/nonexistent"); code != 0 {
		t.Errorf("lazy: exit %d %s", code, e)
	}
	p = Program{Name: "t", NoConfig: true, Action: func(ctx *Context) error {
		if ctx.Config != nil {
			t.Error("NoConfig loaded a config")
		}
		return nil
	}}
	if code, _, e := runProg(p, "-C", "/nonexistent"); code != 0 {
		t.Errorf("NoConfig: exit %d %s", code, e)
	}
}

func TestParseUmask(t *testing.T) {
	for in, want := range map[string]int{"077": 0o77, "022": 0o22, "0027": 0o27, "7x7": 0o77, "": 0} {
		if got := parseUmask(in); got != want {
			t.Errorf("parseUmask(%q) = %o, want %o", in, got, want)
		}
	}
}

// The rest runs the start-up in a child process (the test binary itself),
// since it changes process-wide state: uid, umask, descriptors.

func TestMain(m *testing.M) {
	if os.Getenv("GYRUS_TOOL_HELPER") == "1" {
		helper()
		return
	}
	os.Exit(m.Run())
}

func helper() {
	os.Exit(Run(Program{Name: "helper", Action: func(ctx *Context) error {
		old := syscall.Umask(0)
		open := 0
		for fd := 0; fd < 3; fd++ {
			var st syscall.Stat_t
			if syscall.Fstat(fd, &st) == nil {
				open++
			}
		}
		out := fmt.Sprintf("euid=%d egid=%d umask=%03o stdfds=%d\n", os.Geteuid(), os.Getegid(), old, open)
		if f := os.NewFile(3, "report"); f != nil {
			f.WriteString(out)
		}
		return nil
	}}, append([]string{"helper"}, strings.Fields(os.Getenv("GYRUS_TOOL_ARGS"))...)))
}

// child runs the helper with fds 0-2 closed and its report on fd 3.
func child(t *testing.T, conf string, env ...string) (report string, code int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	env = append(env, "GYRUS_TOOL_HELPER=1", "GYRUS_TOOL_ARGS=-C "+conf, "PATH=/usr/bin:/bin")
	pid, err := syscall.ForkExec(exe, []string{exe}, &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{^uintptr(0), ^uintptr(0), ^uintptr(0), w.Fd()},
	})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(r)
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	return buf.String(), ws.ExitStatus()
}

func TestStartupInChild(t *testing.T) {
	conf := writeConf(t, "configdirectory: /c\numask: 027\n")
	rep, code := child(t, conf, "CYRUS_USER=root")
	if code != 0 || !strings.Contains(rep, "umask=027") || !strings.Contains(rep, "stdfds=3") {
		t.Errorf("exit %d report %q", code, rep)
	}
}

func TestBecomeCyrus(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch users")
	}
	u, err := user.Lookup("cyrus")
	if err != nil {
		t.Skip("no cyrus user on this machine")
	}
	conf := writeConf(t, "configdirectory: /c\n")
	rep, code := child(t, conf)
	if want := fmt.Sprintf("euid=%s egid=%s ", u.Uid, u.Gid); code != 0 || !strings.HasPrefix(rep, want) {
		t.Errorf("default user: exit %d report %q, want %q", code, rep, want)
	}
	rep, code = child(t, writeConf(t, "configdirectory: /c\ncyrus_user: nobody\n"))
	nobody, _ := user.Lookup("nobody")
	if code != 0 || nobody == nil || !strings.HasPrefix(rep, "euid="+nobody.Uid+" ") {
		t.Errorf("cyrus_user nobody: exit %d report %q", code, rep)
	}
	rep, code = child(t, conf, "CYRUS_USER=root")
	if code != 0 || !strings.HasPrefix(rep, "euid=0 ") {
		t.Errorf("root: exit %d report %q", code, rep)
	}
	rep, code = child(t, conf, "CYRUS_USER=no-such-user-gyrus")
	if code != sysexits.Usage || rep != "" {
		t.Errorf("unknown user: exit %d report %q, want %d", code, rep, sysexits.Usage)
	}
}

func TestNoShortHelp(t *testing.T) {
	p := Program{Name: "t", NoConfig: true, Action: func(*Context) error { return nil }}
	code, _, stderr := runProg(p, "-h")
	if code != sysexits.Usage || !strings.HasPrefix(stderr, "t: invalid option -- 'h'") {
		t.Errorf("-h: exit %d %q", code, stderr)
	}
}
