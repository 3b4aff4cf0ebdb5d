package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gyrus/lib/config"
	"gyrus/lib/config/cyrusconf"
)

// realTool is Debian's Cyrus 3.6.1 cyr_info, the reference.
const realTool = "/usr/lib/cyrus/bin/cyr_info"

var ours string // the cyr_info binary built for the tests

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cyr_info-test")
	if err != nil {
		panic(err)
	}
	ours = filepath.Join(dir, "cyr_info")
	if out, err := exec.Command("go", "build", "-o", ours, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func haveReal() bool {
	fi, err := os.Stat(realTool)
	return err == nil && fi.Mode()&0o111 != 0
}

// world copies the test data into a directory the cyrus user can read
// (the real tool switches to it when run as root).
func world(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cyr_info-world")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"debian-imapd.conf", "debian-cyrus.conf", "quirks.conf"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func execute(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// TestAgainstCyrus runs each command on Debian's config and on a config
// full of quirks, and wants exactly the real tool's stdout and exit code
// (from the real tool when it is installed, else from the golden files
// captured from it).
func TestAgainstCyrus(t *testing.T) {
	dir := world(t)
	real := haveReal()
	if !real {
		t.Logf("%s not installed: comparing with testdata/golden", realTool)
	}
	for _, conf := range []string{"debian", "quirks"} {
		file := filepath.Join(dir, conf+"-imapd.conf")
		if conf == "quirks" {
			file = filepath.Join(dir, "quirks.conf")
		}
		for _, tc := range []struct {
			golden string
			args   []string
		}{
			{"conf", []string{"conf"}},
			{"conf-all", []string{"conf-all"}},
			{"conf-default", []string{"conf-default"}},
			{"conf-lint", []string{"-M", filepath.Join(dir, "debian-cyrus.conf"), "conf-lint"}},
			{"n-imap.conf", []string{"-n", "imap", "conf"}},
			{"s310.conf-all", []string{"-s", "3.1.0", "conf-all"}},
		} {
			args := append([]string{"-C", file}, tc.args...)
			got, stderr, code := execute(t, ours, args...)
			got = dropExtensions(got)
			var want string
			wantCode := 0
			if real {
				want, _, wantCode = execute(t, realTool, args...)
			} else {
				b, err := os.ReadFile(filepath.Join("testdata/golden", conf+"."+tc.golden))
				if err != nil {
					t.Fatal(err)
				}
				want = string(b)
				if want == "" {
					wantCode = 78
				}
			}
			if got != want || code != wantCode {
				t.Errorf("%s %s: exit %d (want %d), stdout differs:\n%s\nstderr: %s",
					conf, strings.Join(tc.args, " "), code, wantCode, diff(want, got), stderr)
			}
		}
	}
}

// TestConfDefaultKeys: every key real Cyrus lists, we list with the same
// default; the golden file was captured from Debian's 3.6.1.
func TestConfDefaultKeys(t *testing.T) {
	want, err := os.ReadFile("testdata/golden/debian.conf-default")
	if err != nil {
		t.Fatal(err)
	}
	if haveReal() {
		w, _, _ := execute(t, realTool, "-C", filepath.Join(world(t), "debian-imapd.conf"), "conf-default")
		want = []byte(w)
	}
	got, _, _ := execute(t, ours, "-C", "testdata/debian-imapd.conf", "conf-default")
	ourLines := map[string]string{}
	for _, l := range strings.Split(got, "\n") {
		k, _, _ := strings.Cut(l, ":")
		ourLines[k] = l
	}
	n := 0
	for _, l := range strings.Split(strings.TrimSuffix(string(want), "\n"), "\n") {
		k, _, _ := strings.Cut(l, ":")
		if ourLines[k] != l {
			t.Errorf("cyrus: %q\n  ours: %q", l, ourLines[k])
		}
		n++
	}
	if n != 526 {
		t.Errorf("reference lists %d keys, want 526", n)
	}
}

// dropExtensions removes the lines of options Cyrus 3.6.1 does not have
// (config.Option.Extension), so the rest can be compared with the real
// tool; TestDeliberateDifferences checks that they are printed.
func dropExtensions(out string) string {
	ext := map[string]bool{}
	for _, o := range config.Options() {
		if o.Extension {
			ext[o.Key] = true
		}
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(out, "\n") {
		k := l
		if strings.HasPrefix(k, "(") { // cyr_info -s marks "(x.y.z) key: value"
			_, k, _ = strings.Cut(k, ") ")
		}
		k, _, _ = strings.Cut(k, ":")
		if !ext[k] {
			b.WriteString(l)
		}
	}
	return b.String()
}

// Deliberate differences from Cyrus, each with its reason.
func TestDeliberateDifferences(t *testing.T) {
	// Gyrus knows a few options of later Cyrus releases (master_pid_file
	// and master_ready_file from 3.10, which harnesses wait on); they are
	// listed like any other option.
	out, _, _ := execute(t, ours, "-C", "testdata/debian-imapd.conf", "conf-default")
	for _, l := range []string{"master_pid_file: {configdirectory}/master.pid\n", "master_ready_file: {configdirectory}/master.ready\n"} {
		if !strings.Contains(out, l) {
			t.Errorf("conf-default lacks %q", l)
		}
	}
	// version names Gyrus: this is not Cyrus, but the shape
	// "<package> <version>" is the same.
	out, _, code := execute(t, ours, "version")
	if code != 0 || out != "gyrus 0.1.0\n" {
		t.Errorf("version: %q exit %d", out, code)
	}
	// Config errors use Gyrus's message format (file:line: key: what was
	// wanted), with Cyrus's exit status 78.
	dir := world(t)
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("configdirectory: /x\ntimeout: 10x\n"), 0o644)
	out, stderr, code := execute(t, ours, "-C", bad, "conf")
	want := "fatal error: " + bad + `:2: timeout: unparsable duration "10x"`
	if code != 78 || out != "" || !strings.HasPrefix(stderr, want) {
		t.Errorf("bad config: exit %d stdout %q stderr %q", code, out, stderr)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"-s", "x.1", "conf"}, {"-s", "256", "conf"}, {"-C", "testdata/debian-imapd.conf", "bogus"}} {
		out, stderr, code := execute(t, ours, args...)
		if code != 255 || out != "" || stderr != usageText {
			t.Errorf("%v: exit %d stdout %q stderr %q", args, code, out, stderr)
		}
	}
	_, stderr, code := execute(t, ours, "-z")
	if code != 255 || !strings.HasPrefix(stderr, ours+": invalid option -- 'z'\n"+usageText[:20]) {
		t.Errorf("-z: exit %d %q", code, stderr)
	}
	// version needs no config at all.
	if out, _, code := execute(t, ours, "-C", "/nonexistent", "version"); code != 0 || out == "" {
		t.Errorf("version with a missing config: exit %d", code)
	}
}

func TestProc(t *testing.T) {
	dir := world(t)
	proc := filepath.Join(dir, "proc")
	os.Mkdir(proc, 0o755)
	files := map[string]string{
		"123":     "imap\t[127.0.0.1]\talice\tuser.alice\tSelect\n",
		"456":     "pop3\tlocalhost\t\t\t\n",
		"0456":    "ignored: read as 456\n",
		"789":     "lmtp\thost-only\n",
		"790":     "no-host-field\n",
		"800":     "imap\th\tbob\r\nsecond line\n",
		"801.new": "imap\tnew\n",
		"abc":     "x\ty\n",
		".hidden": "x\ty\n",
	}
	for n, s := range files {
		os.WriteFile(filepath.Join(proc, n), []byte(s), 0o644)
	}
	os.Mkdir(filepath.Join(proc, "802"), 0o755) // a Gyrus process without sessions yet
	if haveReal() {
		// Cyrus's own listing, before Gyrus session directories appear.
		got, _, _ := execute(t, ours, "-C", writeProcConf(t, dir, proc), "proc")
		want, _, _ := execute(t, realTool, "-C", writeProcConf(t, dir, proc), "proc")
		if got != want {
			t.Errorf("proc differs from Cyrus:\n%s", diff(want, got))
		}
	}
	// A Gyrus process: one directory, one file per session (package proc).
	os.MkdirAll(filepath.Join(proc, "900"), 0o755)
	os.WriteFile(filepath.Join(proc, "900", "2"), []byte("imaps\t[10.0.0.2]\tcarol\tuser.carol\tIdle\n"), 0o644)
	os.WriteFile(filepath.Join(proc, "900", "1"), []byte("imaps\t[10.0.0.1]\t\t\t\n"), 0o644)
	os.WriteFile(filepath.Join(proc, "900", "3.new"), []byte("imaps\tx\n"), 0o644)
	conf := writeProcConf(t, dir, proc)
	got, _, code := execute(t, ours, "-C", conf, "proc")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(got, "900 imaps [10.0.0.1]   \n900 imaps [10.0.0.2] carol user.carol Idle\n") {
		t.Errorf("Gyrus sessions missing or out of order:\n%s", got)
	}
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	sort.Strings(lines)
	want := []string{"123 imap [127.0.0.1] alice user.alice Select", "456 pop3 localhost   ",
		"456 pop3 localhost   ", "789 lmtp host-only", "800 imap h bob",
		"900 imaps [10.0.0.1]   ", "900 imaps [10.0.0.2] carol user.carol Idle"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("proc lines %q, want %q", lines, want)
	}
	// Default directory {configdirectory}/proc; absent means no output.
	conf = filepath.Join(dir, "proc.conf")
	os.WriteFile(conf, []byte("configdirectory: "+filepath.Join(dir, "nothing")+"\n"), 0o644)
	if out, _, code := execute(t, ours, "-C", conf, "proc"); out != "" || code != 0 {
		t.Errorf("empty proc: %q exit %d", out, code)
	}
	os.WriteFile(conf, []byte("configdirectory: /x\nproc_path: relative/proc\n"), 0o644)
	if _, stderr, code := execute(t, ours, "-C", conf, "proc"); code != 78 || !strings.Contains(stderr, "fully qualified") {
		t.Errorf("relative proc_path: exit %d %q", code, stderr)
	}
}

func TestManPage(t *testing.T) {
	out, _, code := execute(t, ours, "--man")
	var want bytes.Buffer
	config.WriteManPage(&want)
	if code != 0 || out != want.String() {
		t.Errorf("--man: exit %d, output differs from config.WriteManPage", code)
	}
}

func TestBitSet(t *testing.T) {
	// Words 0..37 of sieve_extensions with bits 0 and 15 set: Cyrus shows
	// word 0, word 15 and word 32 (the shift wraps to bit 0).
	var shown []int
	for j := 0; j < 38; j++ {
		if bitSet(1|1<<15, j) {
			shown = append(shown, j)
		}
	}
	if len(shown) != 3 || shown[0] != 0 || shown[1] != 15 || shown[2] != 32 {
		t.Errorf("shown %v", shown)
	}
	if !bitSet(1<<40, 31) || bitSet(1<<30, 31) {
		t.Error("word 31 tests every bit from 31 up")
	}
}

func TestParseSince(t *testing.T) {
	for in, want := range map[string]uint32{
		"3.1.0": 0x03010000, "cyrus-imapd-3.6.1": 0x03060100, "cyrus-imapd 2.5": 0x02050000,
		"3.6.1-rc2": 0x03060100, "3.0.0.7": 0x03000000, "": 0,
	} {
		got, ok := parseSince(in)
		if !ok || got != want {
			t.Errorf("parseSince(%q) = %#x %v, want %#x", in, got, ok, want)
		}
	}
	for _, bad := range []string{"x", "3..1", ".3", "256.0.0", "3.6.1a"} {
		if _, ok := parseSince(bad); ok {
			t.Errorf("parseSince(%q) accepted", bad)
		}
	}
}

func diff(want, got string) string {
	w := strings.Split(want, "\n")
	g := strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString("- " + a + "\n+ " + c + "\n")
			if b.Len() > 2000 {
				break
			}
		}
	}
	return b.String()
}

// Debian's cyrus.conf (the testdata copy, and the live one when present)
// gives conf-lint its service names.
func TestDebianCyrusConf(t *testing.T) {
	files := []string{"testdata/debian-cyrus.conf"}
	if _, err := os.Stat("/etc/cyrus.conf"); err == nil {
		files = append(files, "/etc/cyrus.conf")
	}
	for _, f := range files {
		cc, err := cyrusconf.Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got := strings.Join(cc.ServiceNames(), " "); got != "imap pop3 nntp http lmtpunix sieve notify" {
			t.Errorf("%s: services %q", f, got)
		}
	}
}

func writeProcConf(t *testing.T, dir, proc string) string {
	t.Helper()
	conf := filepath.Join(dir, "proc.conf")
	if err := os.WriteFile(conf, []byte("configdirectory: "+dir+"\nproc_path: "+proc+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}
