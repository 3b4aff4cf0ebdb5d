package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gyrus/lib/config/cyrusconf"
)

// clockEnv lets tests run EVENTS without waiting for real minutes: its
// value is "START SCALE", e.g. "2024-01-02T03:59:00 60": the events clock
// starts at START (local time, RFC 3339 without zone) and runs SCALE
// times faster than real time. Only the EVENTS schedule uses it.
const clockEnv = "GYRUS_MASTER_CLOCK"

// clock is the time EVENTS are scheduled in.
type clock struct {
	base  time.Time // events time at realStart
	real  time.Time
	scale float64
}

func newClock() *clock {
	now := time.Now()
	c := &clock{base: now, real: now, scale: 1}
	if v := os.Getenv(clockEnv); v != "" {
		if err := c.parse(v); err != nil {
			warnf("bad_events_clock_ignored", "variable", clockEnv, "value", v, "error", err)
			*c = clock{base: now, real: now, scale: 1}
		}
	}
	return c
}

func (c *clock) parse(v string) error {
	f := strings.Fields(v)
	if len(f) != 2 {
		return fmt.Errorf("want \"START SCALE\"")
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", f[0], time.Local)
	if err != nil {
		return err
	}
	s, err := strconv.ParseFloat(f[1], 64)
	if err != nil || s <= 0 {
		return fmt.Errorf("bad scale %q", f[1])
	}
	c.base, c.scale = t, s
	return nil
}

func (c *clock) now() time.Time {
	return c.base.Add(time.Duration(float64(time.Since(c.real)) * c.scale))
}

// toReal converts an events-clock time to the real time it happens at.
func (c *clock) toReal(t time.Time) time.Time {
	return c.real.Add(time.Duration(float64(t.Sub(c.base)) / c.scale))
}

// loadEvents replaces the schedule with the EVENTS of cfg (master.c
// add_event): periodic events run now and then every period; daily ones
// at their next hh:mm local time (today if not yet passed).
func (m *master) loadEvents(cfg *cyrusconf.Config) {
	now := m.clock.now()
	m.events = nil
	for _, ev := range cfg.Events {
		e := &event{name: ev.Name, cmd: ev.Cmd, path: m.res.path(ev.Cmd), period: ev.Period, at: ev.At, next: now}
		if h, min, ok := ev.Daily(); ok {
			e.next = time.Date(now.Year(), now.Month(), now.Day(), h, min, 0, 0, time.Local)
			if e.next.Before(now) {
				e.next = nextDaily(e.next, h, min)
			}
		}
		m.events = append(m.events, e)
	}
	m.sortEvents()
}

// nextDaily is the same local hh:mm on the following day (daylight
// saving changes the gap, not the wall-clock time).
func nextDaily(t time.Time, h, min int) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day()+1, h, min, 0, 0, time.Local)
}

func (m *master) sortEvents() {
	sort.SliceStable(m.events, func(i, j int) bool { return m.events[i].next.Before(m.events[j].next) })
}

// runDueEvents starts every event whose time has come and schedules its
// next run (master.c spawn_schedule). Runs are not waited for and may
// overlap.
func (m *master) runDueEvents() {
	now := m.clock.now()
	ran := false
	var keep []*event
	for _, e := range m.events {
		if e.next.After(now) {
			keep = append(keep, e)
			continue
		}
		ran = true
		m.runEvent(e, now)
		switch {
		case e.at >= 0:
			for !e.next.After(now) {
				e.next = nextDaily(e.next, e.at/100, e.at%100)
			}
			keep = append(keep, e)
		case e.period > 0:
			e.next = now.Add(e.period)
			keep = append(keep, e)
		}
	}
	if ran {
		m.events = keep
		m.sortEvents()
	}
}

// eventTime is how event times are logged.
const eventTime = "2006-01-02T15:04:05.000"

func (m *master) runEvent(e *event, now time.Time) {
	pid, err := startProcess(procSpec{path: e.path, argv: e.cmd, status: -1, listen: -1})
	if err != nil {
		critf("event_exec_failed", "event", e.name, "error", err)
		return
	}
	debugf("event_started", "event", e.name, "pid", pid, "due", e.next.Format(eventTime), "now", now.Format(eventTime))
	m.children[pid] = &child{pid: pid, kind: ckEvent, name: e.name, path: e.path, state: stReady, spawned: time.Now(), eof: true}
}
