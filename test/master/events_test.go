package master_test

import (
	"strings"
	"testing"
	"time"

	"gyrus/test/harness"
)

// EVENTS on an injected clock (GYRUS_MASTER_CLOCK): master starts at
// 03:59:00 and its events clock runs 60 times faster, so period=1 (one
// minute) is one real second and at=0400 comes one real second after the
// start. Master logs each run with the events time it was due and the
// time it started, so the schedule is checked exactly, whatever the
// load on the machine: periodic and one-shot events run at once and
// periodic ones again a period after each run; a daily event runs at its
// hh:mm, and one whose time has passed today waits for tomorrow.
func TestEvents(t *testing.T) {
	in := harness.New(t, harness.Options{
		CyrusConf: `
EVENTS {
  tick  cmd="{bin}/testservice event -record {dir}/rec -name tick" period=1
  daily cmd="{bin}/testservice event -record {dir}/rec -name daily" at=0400
  past  cmd="{bin}/testservice event -record {dir}/rec -name past" at=0300
  once  cmd="{bin}/testservice event -record {dir}/rec -name once"
  fails cmd="{bin}/testservice event -exit 3 -record {dir}/rec -name fails"
}`,
		Env:        []string{"TZ=UTC", "GYRUS_MASTER_CLOCK=2024-01-02T03:59:00 60"},
		MasterArgs: []string{"-v"},
		AllowLog:   []string{`child_exited_failure: .*name:fails`},
	})
	in.Start()
	in.WaitFor(15*time.Second, "four ticks", func() bool { return len(eventRuns(in, "tick")) >= 4 })
	ticks := eventRuns(in, "tick")
	start := time.Date(2024, 1, 2, 3, 59, 0, 0, time.UTC)
	if d := ticks[0].due.Sub(start); d < 0 || d > 30*time.Second {
		t.Errorf("first tick due at %v, want at start-up (03:59:00)", ticks[0].due)
	}
	for i, r := range ticks {
		if late := r.now.Sub(r.due); late < 0 || late > time.Minute {
			t.Errorf("tick %d due %v started %v", i, r.due, r.now)
		}
		if i > 0 && !r.due.Equal(ticks[i-1].now.Add(time.Minute)) {
			t.Errorf("tick %d due %v, want a period after the previous run (%v)", i, r.due, ticks[i-1].now)
		}
	}
	daily := eventRuns(in, "daily")
	if len(daily) != 1 || !daily[0].due.Equal(time.Date(2024, 1, 2, 4, 0, 0, 0, time.UTC)) {
		t.Fatalf("at=0400 runs: %+v, want one due at 04:00:00", daily)
	}
	if late := daily[0].now.Sub(daily[0].due); late < 0 || late > time.Minute {
		t.Errorf("at=0400 started at %v", daily[0].now)
	}
	if n := len(eventRuns(in, "past")); n != 0 {
		t.Errorf("at=0300 ran %d times, want 0 (it is tomorrow's)", n)
	}
	if n := len(eventRuns(in, "once")); n != 1 {
		t.Errorf("event without period ran %d times, want 1", n)
	}
	// The runs really happened, as plain children with fds 0-2 only.
	rec := in.Dir + "/rec"
	in.WaitFor(5*time.Second, "records of the runs", func() bool {
		return len(records(rec, "daily ")) == 1 && len(records(rec, "fails ")) == 1 && len(records(rec, "tick ")) >= 4
	})
	for _, l := range records(rec, "") {
		if fds := field(l, "fds"); fds != "0,1,2" {
			t.Errorf("event descriptors %s, want 0,1,2: %s", fds, l)
		}
	}
	// SIGHUP reads EVENTS again: the one-shot event runs again.
	in.Reload("")
	in.WaitFor(5*time.Second, "one-shot event after SIGHUP", func() bool { return len(eventRuns(in, "once")) == 2 })
}

type eventRun struct{ due, now time.Time }

// eventRuns reads master's event_started lines for an event.
func eventRuns(in *harness.Instance, name string) []eventRun {
	var out []eventRun
	for _, l := range strings.Split(masterLog(in), "\n") {
		if !strings.Contains(l, "event_started: event="+name+" ") {
			continue
		}
		due, err1 := time.Parse("2006-01-02T15:04:05.000", field(l, "due"))
		now, err2 := time.Parse("2006-01-02T15:04:05.000", field(l, "now"))
		if err1 == nil && err2 == nil {
			out = append(out, eventRun{due, now})
		}
	}
	return out
}
