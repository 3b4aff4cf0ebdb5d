package main

import (
	"strconv"
	"time"
)

// INPROGRESS (RFC 9585), which Cyrus 3.6.1 lacks: during a long command
// the server sends "* OK [INPROGRESS ("tag" done total)] Still
// processing..." so that the client knows it is still at work (and can
// show how far). Gyrus reports it, as later Cyrus releases do, from:
//   - SEARCH, SORT, THREAD and the ESEARCH command: one step per message
//     looked at (lib/search's Options.Progress); when the ESEARCH command
//     searches other mailboxes than the selected one, the total is not
//     known and both numbers are NIL (RFC 9585 3: "NIL NIL");
//   - FETCH: one step per message of the mailbox gone through.
//
// Rate: the first report comes only once the command has run longer than
// the interval, the next ones at most once per interval. The interval is
// later Cyrus's imap_inprogress_interval (a duration, 10 s by default, 0
// turns the reports off); 3.6.1 has no such key, so lib/config keeps it
// among the overflow keys, read here. The report is flushed at once: it
// is useless in a buffer.

// inProgressInterval is the default interval; tests lower it.
var inProgressInterval = 10 * time.Second

// inProgressEvery is the interval from imap_inprogress_interval, or the
// default when the key is absent or not a duration.
func (s *Session) inProgressEvery() time.Duration {
	v, ok := s.srv.cfg.Overflow("imap_inprogress_interval")
	if !ok {
		return inProgressInterval
	}
	d, ok := parseCyrusDuration(v)
	if !ok || d < 0 {
		return inProgressInterval
	}
	return d
}

// maxDurationSecs bounds a duration (68 years) so that it fits a
// time.Duration.
const maxDurationSecs = 1 << 31

// parseCyrusDuration reads imapd.conf's duration form (imapd.conf(5)):
// <digits><unit>... summed, units d h m s, a bare number in seconds.
func parseCyrusDuration(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if c := v[len(v)-1]; c >= '0' && c <= '9' {
		v += "s"
	}
	var total, acc int64
	digits := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= '0' && c <= '9' {
			if acc > maxDurationSecs {
				return 0, false // beyond any useful interval
			}
			acc = acc*10 + int64(c-'0')
			digits = true
			continue
		}
		if !digits {
			return 0, false
		}
		digits = false
		switch c {
		case 'd':
			acc *= 86400
		case 'h':
			acc *= 3600
		case 'm':
			acc *= 60
		case 's':
		default:
			return 0, false
		}
		total += acc
		acc = 0
		if total > maxDurationSecs {
			return 0, false
		}
	}
	return time.Duration(total) * time.Second, true
}

// progressReporter rate-limits the reports of one command.
type progressReporter struct {
	tag     string
	last    time.Time // the command's start, then the last report
	every   time.Duration
	noCount bool // done and total are unknown: "NIL NIL"
	now     func() time.Time
	write   func(tag string, done, total uint32, noCount bool)
}

// beginProgress starts the reporter of the command being dispatched.
func (s *Session) beginProgress(tag string) {
	s.progress = &progressReporter{tag: tag, last: time.Now(), every: s.inProgressEvery(),
		now: time.Now, write: s.writeInProgress}
}

// report is called at each step; it writes when the interval has passed.
func (p *progressReporter) report(done, total uint32) {
	if p == nil || p.every <= 0 {
		return
	}
	t := p.now()
	if t.Sub(p.last) <= p.every {
		return
	}
	p.last = t
	p.write(p.tag, done, total, p.noCount)
}

// searchProgress is the progress hook handed to lib/search (nil: none).
func (s *Session) searchProgress() func(done, total uint32) {
	if s.progress == nil || s.progress.every <= 0 {
		return nil
	}
	return s.progress.report
}

// writeInProgress writes and flushes one report.
func (s *Session) writeInProgress(tag string, done, total uint32, noCount bool) {
	w := s.wr()
	w.RawString(`* OK [INPROGRESS ("`).RawString(tag).RawString(`" `)
	if noCount {
		w.RawString("NIL NIL")
	} else {
		w.RawString(strconv.FormatUint(uint64(done), 10)).SP()
		if total == 0 {
			w.Nil()
		} else {
			w.Number(total)
		}
	}
	w.RawString(")] Still processing...").CRLF()
	w.Flush()
}
