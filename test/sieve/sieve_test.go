// Package sieve_test compares Gyrus's Sieve compiler with the real
// Cyrus 3.6.1 (the oracle): every script under testdata/good must
// compile to the same bytes with Cyrus's sievec and with lib/sieve,
// every script under testdata/bad must fail in both, with problems on
// the same lines and in the same words;
// testdata/options does the same under other imapd.conf settings
// (rfc3028_strict off, fewer extensions, other vacation bounds). The
// oracle's timsieved also tells which SIEVE capability Gyrus must
// announce.
package sieve_test

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/sieve"
	"gyrus/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// corpus lists the scripts of testdata/<kind>.
func corpus(t *testing.T, kind string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", kind, "*.sieve"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s scripts: %v", kind, err)
	}
	sort.Strings(files)
	return files
}

// cyrusProblem is "line N: message" in sievec's output.
var cyrusProblem = regexp.MustCompile(`(?m)^line (\d+): (.*?)\r?$`)

func cyrusProblems(out string) []string {
	var l []string
	for _, m := range cyrusProblem.FindAllStringSubmatch(out, -1) {
		l = append(l, "line "+m[1]+": "+m[2])
	}
	return l
}

func ourProblems(err error) []string {
	var se *sieve.Error
	if !errors.As(err, &se) {
		return nil
	}
	var l []string
	for _, m := range cyrusProblem.FindAllStringSubmatch(se.Error(), -1) {
		l = append(l, "line "+m[1]+": "+m[2])
	}
	return l
}

func lines(problems []string) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i], _, _ = strings.Cut(p, ":")
	}
	return out
}

// oracle starts Cyrus and copies the corpus where its sievec (running
// as the cyrus user) can read it.
func oracle(t *testing.T) (*harness.Oracle, string, sieve.Options) {
	t.Helper()
	o := harness.StartOracle(t, harness.OracleOptions{NoTLS: true})
	work := filepath.Join(o.Dir, "sievetest")
	if err := os.MkdirAll(work, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(work, 0o777)
	c, err := config.Load(filepath.Join(o.Dir, "etc", "imapd.conf"), "sievec")
	if err != nil {
		t.Fatal(err)
	}
	return o, work, sieve.OptionsFromConfig(c)
}

// cyrusCompile runs Cyrus's sievec on one script: its bytecode, or nil
// and its error output. conf, when set, is an imapd.conf given after
// the oracle's own (getopt keeps the last -C).
func cyrusCompile(t *testing.T, o *harness.Oracle, work, file string, conf ...string) ([]byte, string) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(filepath.Base(file), ".sieve")
	in := filepath.Join(work, base+".sieve")
	out := filepath.Join(work, base+".bc")
	if err := os.WriteFile(in, src, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(out)
	var args []string
	if len(conf) > 0 {
		args = []string{"-C", conf[0]}
	}
	msg, err := o.Tool(t, "sievec", append(args, in, out)...)
	if err != nil {
		return nil, msg
	}
	bc, rerr := os.ReadFile(out)
	if rerr != nil {
		t.Fatalf("%s: Cyrus's sievec succeeded without output: %v\n%s", file, rerr, msg)
	}
	return bc, msg
}

func TestCorpus(t *testing.T) {
	good, bad := corpus(t, "good"), corpus(t, "bad")
	if len(good)+len(bad) < 60 {
		t.Fatalf("corpus too small: %d good, %d bad", len(good), len(bad))
	}
	o, work, opts := oracle(t)

	t.Run("good", func(t *testing.T) {
		for _, f := range good {
			src, _ := os.ReadFile(f)
			want, msg := cyrusCompile(t, o, work, f)
			if want == nil {
				t.Errorf("%s: Cyrus refuses a script of the good corpus:\n%s", f, msg)
				continue
			}
			got, err := sieve.Compile(src, opts)
			if err != nil {
				t.Errorf("%s: Cyrus compiles it, Gyrus does not:\n%v", f, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: bytecode differs\ncyrus %x\ngyrus %x", f, want, got)
			}
		}
	})

	t.Run("bad", func(t *testing.T) {
		for _, f := range bad {
			src, _ := os.ReadFile(f)
			cbc, msg := cyrusCompile(t, o, work, f)
			if cbc != nil {
				t.Errorf("%s: Cyrus compiles a script of the bad corpus", f)
				continue
			}
			_, err := sieve.Compile(src, opts)
			if err == nil {
				t.Errorf("%s: Cyrus refuses it, Gyrus compiles it:\n%s", f, msg)
				continue
			}
			want, got := cyrusProblems(msg), ourProblems(err)
			if len(want) == 0 {
				t.Errorf("%s: no problems in Cyrus's output:\n%s", f, msg)
				continue
			}
			if strings.Join(lines(want), ",") != strings.Join(lines(got), ",") {
				t.Errorf("%s: problems on other lines\ncyrus %q\ngyrus %q", f, want, got)
				continue
			}
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("%s: problems worded otherwise\ncyrus %q\ngyrus %q", f, want, got)
			}
		}
	})

	t.Run("options", func(t *testing.T) {
		// the same with other imapd.conf settings: rfc3028_strict off,
		// fewer extensions, other vacation bounds
		base, err := os.ReadFile(filepath.Join(o.Dir, "etc", "imapd.conf"))
		if err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(work, "options.conf")
		extra := "\nrfc3028_strict: no\nsieve_extensions: fileinto vacation vacation-seconds envelope variables\n" +
			"sieve_vacation_min_response: 1h\nsieve_vacation_max_response: 10d\n"
		if err := os.WriteFile(conf, append(base, extra...), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(conf, "sievec")
		if err != nil {
			t.Fatal(err)
		}
		oo := sieve.OptionsFromConfig(c)
		// extlists needs httpmodules: carddav
		confDAV := filepath.Join(work, "carddav.conf")
		if err := os.WriteFile(confDAV, append(base, "\nhttpmodules: carddav\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		cd, err := config.Load(confDAV, "sievec")
		if err != nil {
			t.Fatal(err)
		}
		od := sieve.OptionsFromConfig(cd)
		for _, f := range corpus(t, "options") {
			src, _ := os.ReadFile(f)
			conf, oo := conf, oo
			if strings.HasPrefix(filepath.Base(f), "extlists") {
				conf, oo = confDAV, od
			}
			want, msg := cyrusCompile(t, o, work, f, conf)
			got, err := sieve.Compile(src, oo)
			switch {
			case want == nil && err == nil:
				t.Errorf("%s: Cyrus refuses it, Gyrus compiles it:\n%s", f, msg)
			case want != nil && err != nil:
				t.Errorf("%s: Cyrus compiles it, Gyrus does not:\n%v", f, err)
			case want != nil && !bytes.Equal(got, want):
				t.Errorf("%s: bytecode differs\ncyrus %x\ngyrus %x", f, want, got)
			case want == nil && strings.Join(cyrusProblems(msg), "\n") != strings.Join(ourProblems(err), "\n"):
				t.Errorf("%s: problems differ\ncyrus %q\ngyrus %q", f, cyrusProblems(msg), ourProblems(err))
			}
		}
	})

	t.Run("sievec", func(t *testing.T) {
		// the command, on a few scripts, against the same imapd.conf
		bin := harness.Bin(t, "sievec")
		conf := filepath.Join(o.Dir, "etc", "imapd.conf")
		for _, f := range []string{good[0], good[len(good)/2], good[len(good)-1]} {
			want, _ := cyrusCompile(t, o, work, f)
			out := filepath.Join(work, "gyrus-"+filepath.Base(f)+".bc")
			cmd := exec.Command(bin, "-C", conf, f, out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("sievec %s: %v\n%s", f, err, b)
			}
			got, err := os.ReadFile(out)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("sievec %s: output differs from Cyrus's (%v)", f, err)
			}
		}
		f := bad[0]
		_, cmsg := cyrusCompile(t, o, work, f)
		cmd := exec.Command(bin, "-C", conf, f, filepath.Join(work, "never.bc"))
		b, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("sievec on %s: %v, want exit 1", f, err)
		}
		if !strings.Contains(string(b), "Unable to parse script: script errors:\r\n") ||
			strings.Join(cyrusProblems(string(b)), "\n") != strings.Join(cyrusProblems(cmsg), "\n") {
			t.Errorf("sievec on %s says\n%s\nCyrus says\n%s", f, b, cmsg)
		}
		if _, err := os.Stat(filepath.Join(work, "never.bc")); err == nil {
			t.Errorf("sievec wrote output for a bad script")
		}
	})

	t.Run("capability", func(t *testing.T) {
		c, err := net.DialTimeout("tcp", o.Addr("sieve"), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var cyrus string
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("timsieved greeting: %v", err)
			}
			if v, ok := strings.CutPrefix(line, `"SIEVE" "`); ok {
				cyrus = strings.TrimRight(v, "\"\r\n")
			}
			if strings.HasPrefix(line, "OK") {
				break
			}
		}
		if got := opts.Capability(); got != cyrus {
			t.Errorf("SIEVE capability\ncyrus %s\ngyrus %s", cyrus, got)
		}
	})
}
