package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const realTool = "/usr/lib/cyrus/bin/cyr_buildinfo"

var ours string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cyr_buildinfo-test")
	if err != nil {
		panic(err)
	}
	ours = filepath.Join(dir, "cyr_buildinfo")
	if out, err := exec.Command("go", "build", "-o", ours, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func execute(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	code := 0
	if ee != nil {
		code = ee.ExitCode()
	}
	return o.String(), e.String(), code
}

// reference returns real Cyrus's output in a format (the installed tool,
// else the copy captured from it in testdata).
func reference(t *testing.T, format string) string {
	t.Helper()
	if _, err := os.Stat(realTool); err == nil {
		out, _, code := execute(t, realTool, format)
		if code != 0 {
			t.Fatalf("%s %s: exit %d", realTool, format, code)
		}
		return out
	}
	b, err := os.ReadFile("testdata/cyrus-" + format + ".out")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ourValues maps every key to the value we report.
func ourValues() map[string]string {
	m := map[string]string{}
	for _, s := range buildInfo {
		for _, it := range s.items {
			m[s.name+"."+it.key] = jsonValue(it.value)
		}
	}
	return m
}

// TestSameShape: with Cyrus's values replaced by ours, Cyrus's output in
// every format is byte for byte what we print; so keys, order and layout
// are Cyrus's and the values come from buildInfo.
func TestSameShape(t *testing.T) {
	vals := ourValues()
	for _, format := range []string{"pretty", "dense", "flat"} {
		ref := reference(t, format)
		var want string
		if format == "flat" {
			var lines []string
			for _, l := range strings.Split(strings.TrimSuffix(ref, "\n"), "\n") {
				k, _, _ := strings.Cut(l, "=")
				v, ok := vals[k]
				if !ok {
					t.Errorf("Cyrus has %s, we do not", k)
				}
				lines = append(lines, k+"="+v)
			}
			want = strings.Join(lines, "\n") + "\n"
		} else {
			want = replaceBySection(ref, vals)
		}
		got, _, code := execute(t, ours, format)
		if code != 0 || got != want {
			t.Errorf("%s: exit %d\n got %q\nwant %q", format, code, got, want)
		}
		if format != "flat" && !json.Valid([]byte(got)) {
			t.Errorf("%s: not JSON", format)
		}
	}
	got, _, _ := execute(t, ours)
	if got != replaceBySection(reference(t, "pretty"), vals) {
		t.Error("default format is not pretty")
	}
}

// replaceBySection swaps the values of a JSON dump for ours, tracking the
// section each key sits in.
func replaceBySection(ref string, vals map[string]string) string {
	re := regexp.MustCompile(`"([a-z0-9_]+)": (\{|true|false|"[^"]*")`)
	section := ""
	return re.ReplaceAllStringFunc(ref, func(m string) string {
		sub := re.FindStringSubmatch(m)
		if sub[2] == "{" {
			section = sub[1]
			return m
		}
		if v, ok := vals[section+"."+sub[1]]; ok {
			return `"` + sub[1] + `": ` + v
		}
		return m
	})
}

func TestOptions(t *testing.T) {
	a, _, _ := execute(t, ours, "-C", "/nonexistent/imapd.conf", "flat")
	b, _, _ := execute(t, ours, "flat")
	if a != b || a == "" {
		t.Error("-C must be accepted and ignored")
	}
	for _, args := range [][]string{{"bogus"}, {"-x"}, {"-h"}} {
		out, stderr, code := execute(t, ours, args...)
		if code != 255 || out != "" || !strings.HasSuffix(stderr, usageText) {
			t.Errorf("%v: exit %d stdout %q stderr %q", args, code, out, stderr)
		}
	}
}
