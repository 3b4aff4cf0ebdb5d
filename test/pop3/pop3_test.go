package pop3

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gyrus/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	scriptsDir  = "scripts"
	messagesDir = "messages"
)

const goldenHeader = `Recorded from the real Cyrus 3.6.1 pop3d (shared/oracle/cyrus-ref) by
GYRUS_RECORD=1 go test ./test/pop3 -run TestRecord
Do not edit: change the script and record again.`

func loadAll(t *testing.T) []*Script {
	t.Helper()
	scripts, err := LoadScripts(scriptsDir)
	if err != nil {
		t.Fatal(err)
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
	return scripts
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
	// biggest first: go test resumes parallel subtests in about this
	// order, and the big group should not be the one left at the end
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].scripts) != len(out[j].scripts) {
			return len(out[i].scripts) > len(out[j].scripts)
		}
		return out[i].key < out[j].key
	})
	return out
}

// scriptWorkers is how many scripts of one group are played at the same
// time. A script mostly waits (for the servers' processes to start, for
// fixed pauses), so this is more than "go test -parallel" (GOMAXPROCS)
// would allow with one parallel subtest per script.
const scriptWorkers = 8

// playAll starts one instance per group and plays its scripts on it
// concurrently (each script has users of its own), then checks each
// transcript in a subtest of its own.
func playAll(t *testing.T, start func(testing.TB, map[string]string) Target, check func(*testing.T, *Script, *Transcript)) {
	scripts := loadAll(t)
	if len(scripts) == 0 {
		t.Skip("no script selected")
	}
	for _, g := range groupScripts(scripts) {
		t.Run(g.key, func(t *testing.T) {
			t.Parallel()
			in := start(t, g.opts)
			r := &Runner{Target: in, Messages: messagesDir, Timeout: 15 * time.Second}
			trs := make([]*Transcript, len(g.scripts))
			errs := make([]error, len(g.scripts))
			sem := make(chan struct{}, scriptWorkers)
			var wg sync.WaitGroup
			for i, s := range g.scripts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sem <- struct{}{}
					defer func() { <-sem }()
					for _, u := range s.Users {
						if err := in.CreateUser(u); err != nil {
							errs[i] = fmt.Errorf("create user %s: %v", u.Name, err)
							return
						}
					}
					trs[i] = r.Run(s)
				}()
			}
			wg.Wait()
			for i, s := range g.scripts {
				t.Run(s.Name, func(t *testing.T) {
					if errs[i] != nil {
						t.Fatal(errs[i])
					}
					check(t, s, trs[i])
				})
			}
		})
	}
}

// TestRecord plays every script against the real Cyrus and writes the
// golden files. It runs only with GYRUS_RECORD=1 (GYRUS_SCRIPTS=regexp
// selects scripts).
func TestRecord(t *testing.T) {
	if os.Getenv("GYRUS_RECORD") == "" {
		t.Skip("set GYRUS_RECORD=1 to record the golden transcripts from the real Cyrus")
	}
	playAll(t, StartCyrus, func(t *testing.T, s *Script, tr *Transcript) {
		if f := tr.Failed(); len(f) > 0 {
			t.Errorf("%s: the run failed, nothing written:\n%s\n--- transcript:\n%s", s.Name, strings.Join(f, "\n"), tr.Format(""))
			return
		}
		if err := os.WriteFile(s.GoldenPath(), []byte(tr.Format(goldenHeader)), 0o644); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCompare plays every script against Gyrus and compares the result
// with the recording of the real Cyrus (or, for a script marked
// "differs", with its .gyrus file, which GYRUS_WRITE_GYRUS=1 writes).
// GYRUS_TARGET=cyrus plays them
// against a fresh real Cyrus instead, to check that the recordings are
// reproducible.
func TestCompare(t *testing.T) {
	t.Parallel()
	start, cyrusRun := StartGyrus, os.Getenv("GYRUS_TARGET") == "cyrus"
	if cyrusRun {
		start = StartCyrus
	}
	playAll(t, start, func(t *testing.T, s *Script, tr *Transcript) {
		path := s.GoldenPath()
		if s.Differs != "" && !cyrusRun {
			path = s.GyrusPath()
			if os.Getenv("GYRUS_WRITE_GYRUS") != "" {
				// a deliberate difference: write what Gyrus does, for review
				hdr := "What Gyrus answers, where it differs from Cyrus 3.6.1 on purpose:\n" + s.Differs +
					"\nWritten by GYRUS_WRITE_GYRUS=1 go test ./test/pop3 -run TestCompare; review before committing."
				if err := os.WriteFile(path, []byte(tr.Format(hdr)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (record it with GYRUS_RECORD=1)", s.Name, err)
		}
		want, err := ParseTranscript(string(b))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if d := Diff(want, tr, 5); d != "" {
			t.Errorf("differs from %s (- expected, + got):\n%s\n--- full transcript:\n%s", path, d, tr.Format(""))
		}
	})
}

// TestScripts checks the scripts without a server: they parse, their
// messages exist, every user name belongs to one script of its group,
// the golden files exist and have the same steps, and a script that
// differs on purpose has its .gyrus transcript with the same steps.
func TestScripts(t *testing.T) {
	scripts := loadAll(t)
	if len(scripts) < 40 && os.Getenv("GYRUS_SCRIPTS") == "" {
		t.Errorf("%d scripts: the issue asks for at least 40", len(scripts))
	}
	for _, g := range groupScripts(scripts) {
		owner := map[string]string{}
		for _, s := range g.scripts {
			for _, u := range s.Users {
				if o, ok := owner[u.Name]; ok {
					t.Errorf("%s and %s share an instance and both declare user %s", o, s.Name, u.Name)
				}
				owner[u.Name] = s.Name
			}
		}
	}
	for _, s := range scripts {
		for _, st := range s.Steps {
			if st.Kind == StepAppend {
				if _, err := os.Stat(messagesDir + "/" + st.Args[1]); err != nil {
					t.Errorf("%s:%d: %v", s.Name, st.Line, err)
				}
			}
			if (st.Kind == StepShutdown) && !s.Isolated {
				t.Errorf("%s:%d: a shutdown file stops every session of the instance: mark the script isolated", s.Name, st.Line)
			}
		}
		paths := []string{s.GoldenPath()}
		if s.Differs != "" {
			paths = append(paths, s.GyrusPath())
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("%s: %v", s.Name, err)
				continue
			}
			g, err := ParseTranscript(string(b))
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if len(g.Blocks) != len(s.Steps) {
				t.Errorf("%s: %d steps but %d in %s: record again", s.Name, len(s.Steps), len(g.Blocks), p)
				continue
			}
			for i, st := range s.Steps {
				if g.Blocks[i].Head != st.Src {
					t.Errorf("%s:%d: step %q is %q in %s: record again", s.Name, st.Line, st.Src, g.Blocks[i].Head, p)
					break
				}
			}
			if f := g.Failed(); len(f) > 0 {
				t.Errorf("%s: failed run recorded: %v", p, f)
			}
		}
	}
}

// TestNormalize pins the normalizer's rules.
func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"+OK localhost Cyrus POP3 3.6.1-Debian-3.6.1-4+deb12u4 server ready <3055494817565783714.1795789534@localhost>": "+OK localhost <IMPLEMENTATION> server ready <CHALLENGE>",
		"+OK localhost Gyrus POP3 0.1.0 server ready <17036531260421477480.1795790325@localhost>":                       "+OK localhost <IMPLEMENTATION> server ready <CHALLENGE>",
		"IMPLEMENTATION Gyrus POP3 0.1.0": "IMPLEMENTATION <IMPLEMENTATION>",
		"+OK Mailbox locked and ready SESSIONID=<cyrus-ref-1795789821-11652-1-18148358931289401772>": "+OK Mailbox locked and ready SESSIONID=<ID>",
	} {
		l := reImpl.ReplaceAllString(in, "<IMPLEMENTATION>")
		l = reChallenge.ReplaceAllString(l, "<CHALLENGE>")
		l = reSessionID.ReplaceAllString(l, "SESSIONID=<ID>")
		if l != want {
			t.Errorf("%q -> %q, want %q", in, l, want)
		}
	}
	if got := expand(`AUTH PLAIN $b64("\x00a\x00b")`); got != "AUTH PLAIN AGEAYg==" {
		t.Errorf("expand: %q", got)
	}
}
