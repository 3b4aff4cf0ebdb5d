package imapext

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gyrus/test/harness"
	"gyrus/test/imap"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	scriptsDir  = "scripts"
	messagesDir = "../imap/messages"
)

// TestRFCExamples plays every script against one Gyrus instance per
// option set and compares with the hand-written expected transcript
// (<name>.golden). GYRUS_IMAPEXT_SHOW=1 logs what Gyrus answered, to help
// write a new expectation (never copy it blindly: the RFC is the
// reference).
func TestRFCExamples(t *testing.T) {
	scripts, err := imap.LoadScripts(scriptsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatal("no scripts")
	}
	diffs := &imap.Differences{}
	groups := map[string][]*imap.Script{}
	var keys []string
	for _, s := range scripts {
		k := s.GroupKey()
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], s)
	}
	for _, k := range keys {
		group := groups[k]
		t.Run(k, func(t *testing.T) {
			in := imap.StartGyrus(t, group[0].Options)
			r := &imap.Runner{Target: in, Messages: messagesDir, Timeout: 15 * time.Second, Diffs: diffs}
			for _, s := range group {
				t.Run(s.Name, func(t *testing.T) {
					for _, u := range s.Users {
						if err := in.CreateUser(u); err != nil {
							t.Fatalf("create user %s: %v", u.Name, err)
						}
					}
					got := r.Run(s)
					if os.Getenv("GYRUS_IMAPEXT_SHOW") != "" {
						t.Logf("\n%s", got.Format(""))
					}
					b, err := os.ReadFile(s.GoldenPath())
					if err != nil {
						t.Fatalf("no expected transcript: %v", err)
					}
					want, err := imap.ParseTranscript(string(b))
					if err != nil {
						t.Fatalf("%s: %v", s.GoldenPath(), err)
					}
					onlyOurCaps(got)
					anyUIDValidity(got)
					anyUIDValidity(want)
					if d := imap.Diff(s.Name, want, got, 5); d != "" {
						t.Errorf("differs from the RFC's example (- expected, + got):\n%s", d)
					}
				})
			}
		})
	}
}

// TestScriptsHaveExpectations checks, without a server, that every script
// parses and has an expected transcript with the same steps.
func TestScriptsHaveExpectations(t *testing.T) {
	scripts, err := imap.LoadScripts(scriptsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) < 5 {
		t.Fatalf("%d scripts, want one per extension at least (REPLACE, PARTIAL, UIDONLY, MULTISEARCH, INPROGRESS)", len(scripts))
	}
	for _, s := range scripts {
		b, err := os.ReadFile(s.GoldenPath())
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		tr, err := imap.ParseTranscript(string(b))
		if err != nil {
			t.Errorf("%s: %v", s.GoldenPath(), err)
			continue
		}
		if len(tr.Blocks) != len(s.Steps) {
			t.Errorf("%s: %d steps but %d in the expected transcript", s.Name, len(s.Steps), len(tr.Blocks))
			continue
		}
		for i, st := range s.Steps {
			if tr.Blocks[i].Head != strings.TrimSpace(st.Src) {
				t.Errorf("%s:%d: step %q is %q in the expected transcript", s.Name, st.Line, strings.TrimSpace(st.Src), tr.Blocks[i].Head)
				break
			}
		}
	}
}

// ourCaps are the capabilities these transcripts are about: a CAPABILITY
// line is compared on them only, so that the others (another engineer's
// IMAP4rev2, a configuration's AUTH=) do not make the RFC examples fail.
var ourCaps = map[string]bool{"IMAP4rev1": true, "REPLACE": true, "PARTIAL": true,
	"UIDONLY": true, "MULTISEARCH": true, "INPROGRESS": true, "ESEARCH": true}

// onlyOurCaps reduces the "* CAPABILITY" lines of a transcript to ourCaps,
// in the server's order.
func onlyOurCaps(tr *imap.Transcript) {
	for i := range tr.Blocks {
		for j, l := range tr.Blocks[i].Lines {
			prefix, rest, ok := strings.Cut(l, " * CAPABILITY ")
			if !ok {
				continue
			}
			var keep []string
			for _, w := range strings.Fields(rest) {
				if ourCaps[w] {
					keep = append(keep, w)
				}
			}
			tr.Blocks[i].Lines[j] = prefix + " * CAPABILITY " + strings.Join(keep, " ")
		}
	}
}

var reUIDValidityToken = regexp.MustCompile(`<<UIDVALIDITY\.[0-9]+>>`)

// anyUIDValidity makes every UIDVALIDITY token the same: the values come
// from the clock, and mailboxes created within one second may or may not
// share one, so test/imap's numbering of distinct values (per mailbox of
// the command) depends on timing when one answer names several mailboxes
// (ESEARCH IN, APPENDUID of another mailbox).
func anyUIDValidity(tr *imap.Transcript) {
	for i := range tr.Blocks {
		for j, l := range tr.Blocks[i].Lines {
			tr.Blocks[i].Lines[j] = reUIDValidityToken.ReplaceAllString(l, "<<UIDVALIDITY>>")
		}
	}
}
