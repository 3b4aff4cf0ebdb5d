package imapwire

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// cyrusProbe is one recorded exchange with real Cyrus 3.6.1
// (testdata/cyrus_record.py, testdata/cyrus_probes.txt).
type cyrusProbe struct {
	State string   `json:"state"`
	Send  string   `json:"send"`
	Recv  []string `json:"recv"`
}

func loadProbes(t testing.TB, path string) []cyrusProbe {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []cyrusProbe
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p cyrusProbe
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// divergences are probes where Gyrus deliberately answers differently
// from Cyrus 3.6.1, with Gyrus's answer (the relevant lines) and why.
var divergences = map[string]struct{ want, why string }{
	"a1 FETCH 1 (FLAGS {3+}\r\nabc)\r\nb2 NOOP\r\n": {
		"a1 BAD Invalid Fetch attribute {3+}|b2 OK",
		"the data of a non-synchronizing literal announced on a rejected line is skipped, never read as a command (Cyrus answers '* BAD Invalid tag' for it)"},
	"a1 APPEND INBOX {0+}\r\n\r\nb2 NOOP\r\n": {
		"a1 NO Zero-length message literal|b2 OK",
		"the rest of the APPEND line is skipped after a zero-length literal (Cyrus reads it as a command)"},
	"a1 SEARCH LARGER 4294967295\r\n": {
		"a1 OK",
		"numbers are RFC 9051 32-bit unsigned; Cyrus reads a signed 32-bit number and closes the connection"},
	"a1 SEARCH LARGER 2147483648\r\n": {"a1 OK", "as above"},
	"a1 ENABLE \r\n": {
		"a1 BAD Missing required argument to Enable",
		"Cyrus writes an empty line before this BAD"},
	"a1 ENABLE CONDSTORE (x)\r\n": {"a1 BAD Missing required argument to Enable", "as above"},
	"a1 APPEND INBOX {5\r\n": {
		"a1 BAD Invalid literal in Append command",
		"Cyrus does not answer in 3 seconds"},
	"a1 APPEND INBOX {5}x\r\n": {"a1 BAD Invalid literal in Append command", "as above"},
	"a1 IDLE\r\nDONE\r\n": {
		"a1 OK",
		"Cyrus does not notice a DONE sent in the same packet as IDLE until its next poll"},
	"a1 IDLE\r\nNOPE\r\n": {"a1 BAD Invalid Idle continuation", "as above"},
}

var tagged = regexp.MustCompile(`^([A-Za-z0-9.]+) (OK|NO|BAD)\b ?(.*)$`)

// events reduces a server transcript to what parsing decides: tagged
// answers (execution answers reduced to "OK" unless they are parse-level
// NOs), untagged BAD/BYE, and continuation requests for literals.
func events(lines []string) []string {
	var out []string
	for _, l := range lines {
		l = strings.TrimRight(l, "\r\n")
		switch {
		case l == "+ go ahead":
			out = append(out, l)
		case strings.HasPrefix(l, "* BAD") || strings.HasPrefix(l, "* BYE") && !strings.Contains(l, "LOGOUT"):
			out = append(out, l)
		default:
			m := tagged.FindStringSubmatch(l)
			if m == nil || strings.HasPrefix(m[1], "S") && len(m[1]) == 2 {
				continue
			}
			switch {
			case m[2] == "BAD", strings.HasPrefix(m[3], "[TOOBIG]"), strings.HasPrefix(m[3], "[LIMIT]"),
				strings.HasPrefix(m[3], "Zero-length"):
				out = append(out, l)
			default:
				out = append(out, m[1]+" OK")
			}
		}
	}
	return out
}

// trimAfterLastTagged drops what follows, in got, the answer to the last
// tagged command Cyrus answered: the recorder stops reading there, so
// Cyrus's later lines (such as "* BAD Invalid tag" for leftover input) are
// not recorded.
func trimAfterLastTagged(got, want []string) []string {
	last := ""
	for _, e := range want {
		if m := tagged.FindStringSubmatch(e); m != nil {
			last = m[1]
		}
	}
	if last == "" {
		return got
	}
	for i, e := range got {
		if m := tagged.FindStringSubmatch(e); m != nil && m[1] == last {
			return got[:i+1]
		}
	}
	return got
}

// TestCyrusRecordedAnswers replays every recorded probe through the parser
// and compares what it decides with what real Cyrus answered.
func TestCyrusRecordedAnswers(t *testing.T) {
	probes := loadProbes(t, "testdata/cyrus_answers.jsonl")
	if len(probes) < 300 {
		t.Fatalf("only %d probes recorded", len(probes))
	}
	for _, pr := range probes {
		compareProbe(t, pr, Options{})
	}
	// Cyrus started with literalminus: yes.
	for _, pr := range loadProbes(t, "testdata/cyrus_answers_literalminus.jsonl") {
		compareProbe(t, pr, Options{LiteralMinus: true})
	}
}

// compareProbe runs one probe through the parser and compares with what
// Cyrus answered.
func compareProbe(t *testing.T, pr cyrusProbe, opt Options) {
	t.Helper()
	s := newFakeSession(pr.State, pr.Send, opt)
	got := events(strings.SplitAfter(s.run(t), "\n"))
	want := events(pr.Recv)
	got = trimAfterLastTagged(got, want)
	if d, ok := divergences[pr.Send]; ok {
		if strings.Join(got, "|") != d.want {
			t.Errorf("%s %q (divergence: %s):\n got %q\nwant %q", pr.State, pr.Send, d.why, got, d.want)
		}
		return
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s %q:\n got %q\nwant %q (Cyrus)", pr.State, pr.Send, got, want)
	}
}
