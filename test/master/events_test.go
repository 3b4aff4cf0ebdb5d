package master_test

import (
	"strconv"
	"testing"
	"time"

	"gyrus/test/harness"
)

// EVENTS on an injected clock (GYRUS_MASTER_CLOCK): master starts at
// 03:59:00 and its events clock runs 60 times faster, so period=1 (one
// minute) is one real second and at=0400 comes one real second after the
// start. Periodic and one-shot events run at once; a daily time already
// past today waits for tomorrow.
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
		Env:      []string{"TZ=UTC", "GYRUS_MASTER_CLOCK=2024-01-02T03:59:00 60"},
		AllowLog: []string{`child_exited_failure: .*name:fails`},
	})
	in.Start()
	rec := in.Dir + "/rec"
	in.WaitFor(10*time.Second, "four ticks", func() bool { return len(records(rec, "tick ")) >= 4 })
	ticks := records(rec, "tick ")
	daily := records(rec, "daily ")
	if len(daily) != 1 {
		t.Fatalf("daily event ran %d times in the first 3 minutes of events time, want 1", len(daily))
	}
	t0 := ms(ticks[0])
	for i, l := range ticks[:4] {
		if d := ms(l) - t0; d < int64(i)*1000-300 || d > int64(i)*1000+600 {
			t.Errorf("tick %d at +%d ms, want about +%d ms", i, d, i*1000)
		}
		if fds := field(l, "fds"); fds != "0,1,2" {
			t.Errorf("event descriptors %s, want 0,1,2", fds)
		}
	}
	if d := ms(daily[0]) - t0; d < 700 || d > 1600 {
		t.Errorf("at=0400 ran at +%d ms, want about +1000 ms (04:00 events time)", d)
	}
	if n := len(records(rec, "past ")); n != 0 {
		t.Errorf("at=0300 ran %d times, want 0 (it is tomorrow's)", n)
	}
	if n := len(records(rec, "once ")); n != 1 {
		t.Errorf("event without period ran %d times, want 1", n)
	}
	if n := len(records(rec, "fails ")); n != 1 {
		t.Errorf("failing event ran %d times, want 1", n)
	}
	// SIGHUP reads EVENTS again: the one-shot event runs again.
	in.Reload("")
	in.WaitFor(5*time.Second, "one-shot event after SIGHUP", func() bool { return len(records(rec, "once ")) == 2 })
}

func ms(line string) int64 {
	n, _ := strconv.ParseInt(field(line, "ms"), 10, 64)
	return n
}
