package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// The reporter's rate: nothing before the interval has passed since the
// command began, then at most one report per interval.
func TestProgressReporterRate(t *testing.T) {
	clock := time.Unix(1000, 0)
	var got []string
	p := &progressReporter{tag: "a1", last: clock, every: 10 * time.Second,
		now: func() time.Time { return clock },
		write: func(tag string, done, total uint32, noCount bool) {
			got = append(got, tag+" "+strings.Repeat("x", int(done))+" "+time.Duration(total).String())
		}}
	for i, step := range []time.Duration{5, 5, 1, 3, 8, 1} { // seconds
		clock = clock.Add(step * time.Second)
		p.report(uint32(i), 9)
	}
	// at 5, 10 (not more than 10), 11 (report), 14, 22 (report), 23
	if len(got) != 2 || !strings.HasPrefix(got[0], "a1 xx ") || !strings.HasPrefix(got[1], "a1 xxxx ") {
		t.Fatalf("reports %q", got)
	}
	var nilp *progressReporter
	nilp.report(1, 2) // no command: no report, no panic
	off := &progressReporter{every: 0, now: time.Now, write: func(string, uint32, uint32, bool) { t.Fatal("reported while off") }}
	off.report(1, 2)
}

// With an interval of a nanosecond every step reports: SEARCH, FETCH and
// the multi-mailbox ESEARCH command send "* OK [INPROGRESS ...]" before
// their answer, with the counts (RFC 9585 section 3's form) or NIL NIL.
func TestInProgressResponses(t *testing.T) {
	old := inProgressInterval
	inProgressInterval = time.Nanosecond
	defer func() { inProgressInterval = old }()
	srv := newTestServer(t, map[string]string{"autocreate_quota": "0"})
	pc := startPipe(t, srv)
	pc.line()
	pc.ok("a1", "LOGIN alice x")
	pc.appendMsg("a2", "Subject: one", "", "body")
	pc.appendMsg("a3", "Subject: two", "", "body")
	pc.ok("a4", "SELECT INBOX")
	re := regexp.MustCompile(`^\* OK \[INPROGRESS \("(\w+)" (\d+|NIL) (\d+|NIL)\)\] Still processing\.\.\.$`)
	for _, c := range []struct {
		cmd, first string
	}{
		{"UID SEARCH BODY body", `* OK [INPROGRESS ("s1" 0 2)] Still processing...`},
		{"FETCH 1:* FLAGS", `* OK [INPROGRESS ("s1" 0 2)] Still processing...`},
		{"ESEARCH IN (personal) BODY body", `* OK [INPROGRESS ("s1" NIL NIL)] Still processing...`},
	} {
		u, st := pc.cmd("s1", c.cmd)
		if !strings.HasPrefix(st, "s1 OK ") {
			t.Fatalf("%s: %s", c.cmd, st)
		}
		n := 0
		for _, l := range u {
			if m := re.FindStringSubmatch(l); m != nil {
				if m[1] != "s1" {
					t.Errorf("%s: %q", c.cmd, l)
				}
				n++
			}
		}
		if n == 0 || u[0] != c.first {
			t.Errorf("%s: %d reports, first %q, want %q:\n%s", c.cmd, n, u[0], c.first, strings.Join(u, "\n"))
		}
	}
}

func TestParseCyrusDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"10": 10 * time.Second, "10s": 10 * time.Second, "1m30s": 90 * time.Second,
		"2h": 2 * time.Hour, "1d": 24 * time.Hour, "0": 0,
	} {
		if got, ok := parseCyrusDuration(in); !ok || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "s", "1x", "-1", "m5", "99999999999999999999"} {
		if got, ok := parseCyrusDuration(in); ok {
			t.Errorf("%q: %v, want refused", in, got)
		}
	}
}

// FuzzParseCyrusDuration: any imap_inprogress_interval value: no panic,
// and an accepted value is a whole, non-negative number of seconds.
func FuzzParseCyrusDuration(f *testing.F) {
	for _, s := range []string{"10", "10s", "1m30s", "2h", "1d", "", "x", "99999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseCyrusDuration(s)
		if ok && (d < 0 || d%time.Second != 0) {
			t.Fatalf("%q: %v", s, d)
		}
	})
}
