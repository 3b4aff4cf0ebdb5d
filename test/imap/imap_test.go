package imap

import (
	"flag"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gyrus/test/harness"
)

// TestMain runs the scripts 8 at a time unless -parallel says otherwise:
// they mostly wait for the server, so more than GOMAXPROCS pays.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "8")
	}
	harness.Main(m)
}

const (
	scriptsDir  = "scripts"
	messagesDir = "messages"
	diffsFile   = "differences.txt"
)

// goldenHeader starts every golden file.
const goldenHeader = `Recorded from the real Cyrus IMAP 3.6.1 (shared/oracle/cyrus-ref) by
GYRUS_RECORD=1 go test ./test/imap -run TestRecord
Do not edit: change the script and record again.`

// loadAll loads the scripts and differences.txt; smoke keeps the first
// script of each area only (-short); GYRUS_SCRIPTS selects by name.
func loadAll(t *testing.T, smoke bool) ([]*Script, *Differences) {
	t.Helper()
	scripts, err := LoadScripts(scriptsDir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadDifferences(diffsFile)
	if err != nil {
		t.Fatal(err)
	}
	if smoke {
		// -short: the first script of each area, a smoke test
		seen := map[string]bool{}
		var keep []*Script
		for _, s := range scripts {
			if dir := path.Dir(s.Name); !seen[dir] {
				seen[dir] = true
				keep = append(keep, s)
			}
		}
		scripts = keep
	}
	if re := os.Getenv("GYRUS_SCRIPTS"); re != "" {
		sel := regexp.MustCompile(re)
		var keep []*Script
		for _, s := range scripts {
			if sel.MatchString(s.Name) {
				keep = append(keep, s)
			}
		}
		scripts = keep
	}
	return scripts, d
}

type group struct {
	key     string
	opts    map[string]string
	scripts []*Script
}

func groupScripts(scripts []*Script) []*group {
	byKey := map[string]*group{}
	var out []*group
	for _, s := range scripts {
		k := s.GroupKey()
		g := byKey[k]
		if g == nil {
			g = &group{key: k, opts: s.Options}
			byKey[k] = g
			out = append(out, g)
		}
		g.scripts = append(g.scripts, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// playAll starts one instance per group and plays every script of the
// group on it, in parallel, handing each transcript to check.
func playAll(t *testing.T, start func(testing.TB, map[string]string) Instance, timeout time.Duration, check func(*testing.T, *Script, *Transcript)) {
	scripts, diffs := loadAll(t, testing.Short() && os.Getenv("GYRUS_RECORD") == "")
	if len(scripts) == 0 {
		t.Skip("no script selected")
	}
	for _, g := range groupScripts(scripts) {
		t.Run(g.key, func(t *testing.T) {
			t.Parallel()
			in := start(t, g.opts)
			r := &Runner{Target: in, Messages: messagesDir, Timeout: timeout, Diffs: diffs}
			for _, s := range g.scripts {
				t.Run(s.Name, func(t *testing.T) {
					t.Parallel()
					for _, u := range s.Users {
						if err := in.CreateUser(u); err != nil {
							t.Fatalf("create user %s: %v", u.Name, err)
						}
					}
					check(t, s, r.Run(s))
				})
			}
		})
	}
}

// TestRecord plays every script against the real Cyrus and writes the
// golden files. It runs only with GYRUS_RECORD=1 (GYRUS_SCRIPTS=regexp
// selects scripts by name).
func TestRecord(t *testing.T) {
	if os.Getenv("GYRUS_RECORD") == "" {
		t.Skip("set GYRUS_RECORD=1 to record the golden transcripts from the real Cyrus")
	}
	playAll(t, StartCyrus, 30*time.Second, func(t *testing.T, s *Script, tr *Transcript) {
		if f := tr.Failed(); len(f) > 0 {
			t.Errorf("%s: the run failed, nothing written:\n%s\n--- transcript:\n%s", s.Name, strings.Join(f, "\n"), tr.Format(""))
			return
		}
		if err := os.WriteFile(s.GoldenPath(), []byte(tr.Format(goldenHeader)), 0o644); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCompare plays every script against Gyrus and compares with the
// golden files (with -short: the first script of each area).
// GYRUS_TARGET=cyrus plays them against a fresh real Cyrus
// instead: that checks that the recordings are reproducible.
func TestCompare(t *testing.T) {
	t.Parallel() // alongside TestSTARTTLS and TestImaps
	start := StartGyrus
	diffs, err := LoadDifferences(diffsFile)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("GYRUS_TARGET") == "cyrus" {
		start = StartCyrus
		diffs.NotOffered = nil // Cyrus does offer them
	}
	playAll(t, start, 15*time.Second, func(t *testing.T, s *Script, tr *Transcript) {
		b, err := os.ReadFile(s.GoldenPath())
		if err != nil {
			t.Fatalf("%s: no golden file (record it with GYRUS_RECORD=1): %v", s.Name, err)
		}
		golden, err := ParseTranscript(string(b))
		if err != nil {
			t.Fatalf("%s: %v", s.GoldenPath(), err)
		}
		if d := Diff(s.Name, diffs.Expected(golden), tr, 5); d != "" {
			t.Errorf("differs from Cyrus (- expected, + got):\n%s", d)
		}
	})
}

// TestPlay plays the selected scripts against a cyrus-ref instance that
// is already running in $GYRUS_PLAY (users are deleted and created
// again) and logs the transcripts; with GYRUS_PLAY_WRITE=1 it writes
// them as golden files. It is a tool for writing scripts.
func TestPlay(t *testing.T) {
	dir := os.Getenv("GYRUS_PLAY")
	if dir == "" {
		t.Skip("set GYRUS_PLAY=<cyrus-ref dir> to play scripts against a running Cyrus")
	}
	in, err := CyrusAt(dir)
	if err != nil {
		t.Fatal(err)
	}
	scripts, diffs := loadAll(t, false)
	r := &Runner{Target: in, Messages: messagesDir, Timeout: 20 * time.Second, Diffs: diffs}
	for _, s := range scripts {
		t.Run(s.Name, func(t *testing.T) {
			for _, u := range s.Users {
				if err := in.CreateUser(u); err != nil {
					t.Fatal(err)
				}
			}
			tr := r.Run(s)
			t.Logf("\n%s", tr.Format(s.Name))
			if f := tr.Failed(); len(f) > 0 {
				t.Errorf("run failed:\n%s", strings.Join(f, "\n"))
				return
			}
			if os.Getenv("GYRUS_PLAY_WRITE") != "" {
				if err := os.WriteFile(s.GoldenPath(), []byte(tr.Format(goldenHeader)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

var reGlobalACL = regexp.MustCompile(`(?i)^(\S+ )?SETACL \S+ "?(anyone|anonymous|group:\S+)"? "?[+]?[a-z]`)

// TestScripts checks the scripts without a server: they parse, their
// messages exist, each has a golden file that parses and has the same
// steps.
func TestScripts(t *testing.T) {
	scripts, _ := loadAll(t, false)
	if len(scripts) == 0 {
		t.Fatal("no scripts")
	}
	r := &Runner{Messages: messagesDir}
	for _, s := range scripts {
		for _, st := range s.Steps {
			// Rights for everybody show a mailbox in every other script's
			// LIST: such a script needs an instance of its own.
			if reGlobalACL.MatchString(st.Text) && !s.Isolated {
				t.Errorf("%s:%d: grants rights to everybody; mark the script \"isolated\"", s.Name, st.Line)
			}
			if st.Kind == StepLMTP {
				if _, err := r.message(st.Message); err != nil {
					t.Errorf("%s:%d: %v", s.Name, st.Line, err)
				}
			}
			for _, m := range reInlineLit.FindAllStringSubmatch(st.Text, -1) {
				if name, ok := strings.CutPrefix(m[1], "msg:"); ok {
					if _, err := r.message(name); err != nil {
						t.Errorf("%s:%d: %v", s.Name, st.Line, err)
					}
				}
			}
		}
		b, err := os.ReadFile(s.GoldenPath())
		if err != nil {
			t.Errorf("%s: no golden file: record it", s.Name)
			continue
		}
		g, err := ParseTranscript(string(b))
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(s.GoldenPath()), err)
			continue
		}
		if len(g.Blocks) != len(s.Steps) {
			t.Errorf("%s: %d steps but %d in the golden file: record again", s.Name, len(s.Steps), len(g.Blocks))
			continue
		}
		for i, st := range s.Steps {
			if g.Blocks[i].Head != strings.TrimSpace(st.Src) {
				t.Errorf("%s:%d: step %q is %q in the golden file: record again", s.Name, st.Line, strings.TrimSpace(st.Src), g.Blocks[i].Head)
				break
			}
		}
	}
}
