package main

import (
	"errors"
	"io"
	"math"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/lib/config/cyrusconf"
	"gyrus/lib/proc"
	"gyrus/lib/service"
)

// Cyrus's supervision constants (master.c).
const (
	maxReadyFails     = 5                      // MAX_READY_FAILS
	readyFailInterval = 10 * time.Second       // MAX_READY_FAIL_INTERVAL
	forkRateInterval  = 400 * time.Millisecond // FORKRATE_INTERVAL
	forkRateAlpha     = 0.5                    // FORKRATE_ALPHA, per second
	hupLagReport      = 30 * time.Second       // janitor: not recycled after SIGHUP
	eofWait           = time.Second            // after reaping, wait this long for fd 3 to close
	grantWriteTimeout = time.Second
)

// childMsg is what a status reader goroutine reports.
type childMsg struct {
	c   *child
	msg service.Msg
	eof bool
	err error // a short read before EOF
}

// master is the whole state. Everything below is owned by the main
// goroutine (locked to its OS thread); other goroutines only read child
// status sockets and watch listening sockets, and report over channels.
type master struct {
	o       options
	set     *settings
	res     resolver
	conf    *cyrusconf.Config
	entries []*entry
	events  []*event
	clock   *clock

	children map[int]*child
	finalize []*child // reaped, waiting for their status EOF

	msgs  chan childMsg
	pend  chan *listener
	sigs  chan os.Signal
	timer *time.Timer

	nextJanitor time.Time
	inShutdown  bool
	shutdownAt  time.Time
	killed      bool
	pidFile     *os.File
}

func newMaster(o options, set *settings) *master {
	return &master{
		o:        o,
		set:      set,
		res:      newResolver(),
		clock:    newClock(),
		children: map[int]*child{},
		msgs:     make(chan childMsg, 1024),
		pend:     make(chan *listener, 64),
		sigs:     make(chan os.Signal, 32),
		timer:    time.NewTimer(time.Hour),
	}
}

// loop is master's main loop (master.c main's for(;;)). It returns the
// exit status.
func (m *master) loop() int {
	m.nextJanitor = time.Now().Add(m.janitorPeriod())
	for {
		if m.inShutdown && m.serviceChildren() == 0 {
			return m.finish()
		}
		if !m.inShutdown {
			m.runDueEvents()
			m.undermanned()
			m.armWatchers()
		}
		m.resetTimer()
		select {
		case s := <-m.sigs:
			m.signal(s)
		case cm := <-m.msgs:
			m.message(cm)
			for drained := 0; drained < 256; drained++ {
				select {
				case cm := <-m.msgs:
					m.message(cm)
					continue
				default:
				}
				break
			}
		case l := <-m.pend:
			l.armed = false
			m.pending(l)
		case <-m.timer.C:
			m.tick()
		}
	}
}

func (m *master) janitorPeriod() time.Duration {
	j := m.o.janitor
	if j < 1 {
		j = 1
	}
	return time.Second / time.Duration(j)
}

// resetTimer arms the timer for the earliest thing that must happen
// without outside input.
func (m *master) resetTimer() {
	now := time.Now()
	next := m.nextJanitor
	if !m.inShutdown && len(m.events) > 0 {
		if t := m.clock.toReal(m.events[0].next); t.Before(next) {
			next = t
		}
	}
	for _, c := range m.finalize {
		if c.finalizeBy.Before(next) {
			next = c.finalizeBy
		}
	}
	for _, e := range m.entries {
		for _, l := range e.listeners {
			if !l.throttleUntil.IsZero() && l.throttleUntil.Before(next) {
				next = l.throttleUntil
			}
		}
	}
	d := next.Sub(now)
	if d < 0 {
		d = 0
	}
	if !m.timer.Stop() {
		select {
		case <-m.timer.C:
		default:
		}
	}
	m.timer.Reset(d)
}

func (m *master) tick() {
	now := time.Now()
	m.reap() // in case a SIGCHLD was coalesced away
	var keep []*child
	for _, c := range m.finalize {
		if !c.finalizeBy.After(now) {
			if !c.eof {
				warnf("child_status_channel_still_open_after_exit", "pid", c.pid, "service", c.name)
			}
			m.done(c)
			continue
		}
		keep = append(keep, c)
	}
	m.finalize = keep
	for _, e := range m.entries {
		for _, l := range e.listeners {
			if !l.throttleUntil.IsZero() && !l.throttleUntil.After(now) {
				l.throttleUntil = time.Time{}
			}
		}
	}
	if !now.Before(m.nextJanitor) {
		m.janitor(now)
		m.nextJanitor = now.Add(m.janitorPeriod())
	}
}

// janitor reports children that still run 30 s after they were told to
// recycle (master.c child_janitor).
func (m *master) janitor(now time.Time) {
	for _, c := range m.children {
		if c.state == stDead || c.hupAt.IsZero() {
			continue
		}
		if d := now.Sub(c.hupAt); d >= hupLagReport {
			name := c.name
			if c.l != nil {
				name = c.l.String()
			}
			infof("child_not_recycled_since_sighup",
				"service", name, "pid", c.pid, "state", c.state, "ago", d.Round(time.Second))
			c.hupAt = time.Time{}
		}
	}
}

func (m *master) signal(s os.Signal) {
	switch s {
	case syscall.SIGCHLD:
		m.reap()
	case syscall.SIGHUP:
		noticef("got_sighup")
		if !m.inShutdown {
			m.reload()
		}
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
		m.beginShutdown()
	}
}

// serviceChildren counts the children shutdown waits for: services and
// daemons without wait=y (Cyrus's total_children).
func (m *master) serviceChildren() int {
	n := 0
	for _, c := range m.children {
		if c.kind == ckService || c.kind == ckDaemon {
			n++
		}
	}
	return n
}

// ---- spawning ------------------------------------------------------------

// forkLimited reports whether the listener has forked too fast lately
// (master.c service_is_fork_limited): an exponentially decaying average
// of forks per second against maxforkrate. When limited, master looks
// again 0.4 s later.
func (m *master) forkLimited(l *listener) bool {
	if l.e.forkRate <= 0 {
		return false
	}
	now := time.Now()
	interval := now.Sub(l.lastInterval).Seconds()
	if interval > 0 {
		f := math.Pow(forkRateAlpha, interval)
		l.forkrate = f*l.forkrate + (1-f)*(float64(l.intervalForks)/interval)
		l.intervalForks = 0
		l.lastInterval = now
	} else if interval < 0 {
		l.intervalForks = 0
		l.lastInterval = now
		warnf("time_of_day_clock_went_backwards")
	}
	if int(l.forkrate) >= l.e.forkRate {
		l.throttleUntil = now.Add(forkRateInterval)
		if !l.throttled {
			l.throttled = true
			warnf("fork_rate_limited", "service", l.String(), "rate", strconv.FormatFloat(l.forkrate, 'f', 1, 64), "maxforkrate", l.e.forkRate)
		}
		return true
	}
	if l.throttled {
		l.throttled = false
		infof("fork_rate_back_under_limit", "service", l.String())
	}
	return false
}

// spawn starts one child for a listener (master.c spawn_service).
func (m *master) spawn(l *listener) bool {
	if m.forkLimited(l) {
		return false
	}
	e := l.e
	env := []string{
		service.EnvService + "=" + e.name,
		service.EnvID + "=" + strconv.Itoa(l.id),
	}
	p := procSpec{path: e.path, argv: e.cmd, status: -1, listen: -1, maxfds: e.maxfds}
	kind := ckService
	var mine int = -1
	if e.daemon {
		env = append(env, service.EnvIsDaemon+"=1")
		kind = ckDaemon
		if e.wait {
			kind = ckWaitDaemon
		}
	} else {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			errorf("cant_create_status_socket", "service", l.String(), "error", err)
			return false
		}
		mine = fds[0]
		p.status, p.listen = fds[1], l.sock.fd
		env = append(env, service.EnvSlots+"=1")
		defer unix.Close(fds[1])
	}
	p.env = env
	pid, err := startProcess(p)
	if err != nil {
		errorf("cant_fork_process_to_run_service", "service", l.String(), "error", err)
		if mine >= 0 {
			unix.Close(mine)
		}
		return false
	}
	c := &child{pid: pid, kind: kind, name: e.name, path: e.path, l: l, state: stReady, spawned: time.Now()}
	if mine >= 0 {
		unix.SetNonblock(mine, true)
		c.status = os.NewFile(uintptr(mine), "status:"+strconv.Itoa(pid))
		go m.readStatus(c)
	} else {
		c.eof = true
	}
	m.children[pid] = c
	l.children[pid] = c
	l.ready++
	l.nactive++
	l.used++
	l.intervalForks++
	l.nforks++
	debugf("spawned", "service", l.String(), "pid", pid)
	return true
}

// readStatus forwards the messages a child writes on its fd 3.
func (m *master) readStatus(c *child) {
	var b [service.MsgSize]byte
	for {
		_, err := io.ReadFull(c.status, b[:])
		if err != nil {
			var short error
			if errors.Is(err, io.ErrUnexpectedEOF) {
				short = err
			}
			m.msgs <- childMsg{c: c, eof: true, err: short}
			return
		}
		m.msgs <- childMsg{c: c, msg: service.DecodeMsg(b[:])}
	}
}

// undermanned keeps every listener at its prefork count, babysits, and
// forgets entries that were removed and have no children left (master.c
// check_undermanned).
func (m *master) undermanned() {
	var keep []*entry
	for _, e := range m.entries {
		alive := 0
		for _, l := range e.listeners {
			alive += l.nactive
			if !l.live() {
				continue
			}
			switch {
			case l.ready < e.prefork && l.hasCapacity():
				for j := e.prefork - l.ready; j > 0 && l.hasCapacity(); j-- {
					if !m.spawn(l) {
						break
					}
				}
			case e.babysit && l.nactive == 0:
				errorf("babysitter_restart", "service", l.String())
				m.spawn(l)
			}
		}
		if !e.enabled && alive == 0 {
			for _, l := range e.listeners {
				if l.sock != nil {
					l.sock.close()
					l.sock = nil
				}
			}
			debugf("removed_service", "service", e.name)
			continue
		}
		keep = append(keep, e)
	}
	m.entries = keep
}

// armWatchers asks for a wake-up on a pending connection wherever
// nobody is ready to take it and one more child may be started.
func (m *master) armWatchers() {
	for _, e := range m.entries {
		if e.daemon {
			continue
		}
		for _, l := range e.listeners {
			if l.armed || !l.live() || l.ready > 0 || !l.hasCapacity() || !l.throttleUntil.IsZero() {
				continue
			}
			l.armed = true
			select {
			case l.arm <- struct{}{}:
			default:
			}
		}
	}
}

// pending: a connection waits on a listener that had no ready child.
func (m *master) pending(l *listener) {
	if m.inShutdown || !l.live() || l.ready > 0 || !l.hasCapacity() {
		return
	}
	m.spawn(l)
}

// watch runs for the life of a listening socket: each time it is armed
// it reports once that a connection (or datagram) is waiting.
func (m *master) watch(l *listener, rc syscall.RawConn, closed <-chan struct{}) {
	for {
		select {
		case <-l.arm:
		case <-closed:
			return
		}
		err := rc.Read(func(fd uintptr) bool {
			p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			n, _ := unix.Poll(p, 0)
			return n > 0
		})
		if err != nil {
			return // socket closed
		}
		select {
		case m.pend <- l:
		case <-closed:
			return
		}
	}
}

// startWatcher starts the watcher of a freshly bound socket.
func (m *master) startWatcher(l *listener) {
	if l.sock == nil {
		return
	}
	rc, err := l.sock.file.SyscallConn()
	if err != nil {
		errorf("watch_listener_failed", "service", l.String(), "error", err)
		return
	}
	go m.watch(l, rc, l.sock.closed)
}

// ---- messages ------------------------------------------------------------

// message applies one status message (master.c process_msg, plus the
// slot protocol of lib/service).
func (m *master) message(cm childMsg) {
	c := cm.c
	if cm.eof {
		if cm.err != nil {
			errorf("got_incorrectly_sized_response_from_child", "pid", c.pid, "service", c.name)
		}
		c.eof = true
		c.status.Close()
		if c.reaped {
			m.removeFinalize(c)
			m.done(c)
		}
		return
	}
	msg := cm.msg
	l := c.l
	if msg.Code < service.MsgMultiHello && msg.Value != int32(c.pid) {
		warnf("child_reports_another_pid", "pid", c.pid, "reported", msg.Value)
	}
	if c.state == stDead {
		if msg.Code == service.MsgConnection || msg.Code == service.MsgConnectionMulti {
			l.nconns++
		}
		return
	}
	switch msg.Code {
	case service.MsgAvailable:
		switch c.state {
		case stReady:
			warnf("child_sent_available_message_but_it_is_already_ready", "service", l.String(), "pid", c.pid)
		case stUnknown:
			c.state = stReady
		case stBusy:
			c.state = stReady
			l.ready++
		}
		m.balance(l)
	case service.MsgUnavailable:
		switch c.state {
		case stBusy:
			warnf("child_sent_unavailable_message_but_it_is_already_busy", "service", l.String(), "pid", c.pid)
		case stUnknown:
			c.state = stBusy
		case stReady:
			c.state = stBusy
			l.ready--
		}
	case service.MsgConnection:
		l.nconns++
		switch c.state {
		case stUnknown:
			c.state = stBusy
		case stReady:
			errorf("ready_child_reported_connection", "service", l.String(), "pid", c.pid)
			c.state = stBusy
			l.ready--
		}
	case service.MsgConnectionMulti:
		l.nconns++
		if c.multi {
			c.inuse++
		}
		switch c.state {
		case stBusy:
			if !c.multi {
				errorf("busy_child_reported_multi_connection", "service", l.String(), "pid", c.pid)
				c.state = stReady
				l.ready++
			}
		case stUnknown:
			c.state = stReady
		}
	case service.MsgMultiHello:
		if !c.multi {
			c.multi = true
			l.used-- // its reservation of one becomes its granted slots
			m.balance(l)
		}
	case service.MsgConnectionEnd:
		if c.multi && c.inuse > 0 {
			c.inuse--
		}
	case service.MsgSlotRelease:
		if c.multi && c.owned > 0 {
			c.owned--
			l.used--
			if !c.revoking {
				m.balance(l)
			}
		}
	case service.MsgRevokeDone:
		c.revoking = false
		m.balance(l)
	default:
		critf("unrecognized_message_from_child", "service", l.String(), "pid", c.pid, "message", msg.Code)
	}
}

// balance hands the free capacity of a listener to its ready
// many-connection children, the poorest first, and takes half of a rich
// child's unused slots when another ready child has none (see
// lib/service/doc.go).
func (m *master) balance(l *listener) {
	if l == nil || m.inShutdown {
		return
	}
	var acc []*child
	for _, c := range l.children {
		if c.multi && c.state == stReady && c.status != nil && !c.eof {
			acc = append(acc, c)
		}
	}
	if len(acc) == 0 {
		return
	}
	if l.e.maxchild < 0 {
		for _, c := range acc {
			if !c.unlimited {
				c.unlimited = true
				m.grant(c, service.SlotsUnlimited)
			}
		}
		return
	}
	free := func(c *child) int { return c.owned - c.inuse }
	sort.Slice(acc, func(i, j int) bool {
		if free(acc[i]) != free(acc[j]) {
			return free(acc[i]) < free(acc[j])
		}
		return acc[i].pid < acc[j].pid
	})
	if pool := l.e.maxchild - l.used; pool > 0 {
		for i, n := range waterfill(acc, free, pool) {
			if n > 0 && m.grant(acc[i], int32(n)) {
				acc[i].owned += n
				l.used += n
			}
		}
		sort.Slice(acc, func(i, j int) bool { return free(acc[i]) < free(acc[j]) })
	}
	poor, rich := acc[0], acc[len(acc)-1]
	if free(poor) == 0 && free(rich) >= 2 && !rich.revoking {
		n := free(rich) / 2
		rich.revoking = true
		b := service.Msg{Code: service.MsgSlotRevoke, Value: int32(n)}.Encode()
		rich.status.SetWriteDeadline(time.Now().Add(grantWriteTimeout))
		if _, err := rich.status.Write(b[:]); err != nil {
			rich.revoking = false
			errorf("slot_revoke_failed", "pid", rich.pid, "service", l.String(), "error", err)
		}
	}
}

// waterfill shares pool among children sorted by free slots ascending
// so that the poorest are levelled up first; it returns each one's part.
func waterfill(acc []*child, free func(*child) int, pool int) []int {
	n := len(acc)
	out := make([]int, n)
	// raise the first k children to the level of child k while the pool lasts
	k := 1
	level := free(acc[0])
	for k < n {
		next := free(acc[k])
		cost := (next - level) * k
		if cost > pool {
			break
		}
		pool -= cost
		level = next
		k++
	}
	per, rem := pool/k, pool%k
	for i := 0; i < k; i++ {
		out[i] = level - free(acc[i]) + per
		if i < rem {
			out[i]++
		}
	}
	return out
}

func (m *master) grant(c *child, n int32) bool {
	b := service.Msg{Code: service.MsgSlotGrant, Value: n}.Encode()
	c.status.SetWriteDeadline(time.Now().Add(grantWriteTimeout))
	if _, err := c.status.Write(b[:]); err != nil {
		errorf("cannot_grant_slots_to_child", "pid", c.pid, "service", c.name, "error", err)
		return false
	}
	return true
}

// ---- reaping -------------------------------------------------------------

// reap collects every exited child (master.c reap_child).
func (m *master) reap() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		c := m.children[pid]
		if c == nil {
			errorf("received_sigchld_from_unknown_child", "pid", pid)
			continue
		}
		c.reaped = true
		c.ws = ws
		if c.eof {
			m.done(c)
		} else {
			c.finalizeBy = time.Now().Add(eofWait)
			m.finalize = append(m.finalize, c)
		}
	}
}

func (m *master) removeFinalize(c *child) {
	for i, x := range m.finalize {
		if x == c {
			m.finalize = append(m.finalize[:i], m.finalize[i+1:]...)
			return
		}
	}
}

// exitFailed logs how a child ended and reports whether that counts as a
// failure (master.c decode_wait_status): exit 0 and EX_TEMPFAIL do not,
// nor, during shutdown, the SIGTERM master sent.
func exitFailed(c *child, shutdown bool) bool {
	ws := c.ws
	switch {
	case shutdown && ws.Signaled() && ws.Signal() == syscall.SIGTERM:
		debugf("child_terminated_at_shutdown", "process", c.describe())
	case !c.hupAt.IsZero() && ws.Signaled() && ws.Signal() == syscall.SIGHUP:
		// told to recycle before it could catch the signal
		debugf("child_ended_by_sighup", "process", c.describe())
	case ws.Exited() && ws.ExitStatus() == 0:
		debugf("child_exited_normally", "process", c.describe())
	case ws.Exited() && ws.ExitStatus() == 75:
		debugf("child_was_killed", "process", c.describe())
	case ws.Exited():
		errorf("child_exited_failure", "process", c.describe(), "status", ws.ExitStatus())
		return true
	case ws.Signaled():
		errorf("child_signaled_to_death", "process", c.describe(), "signal", int(ws.Signal()), "name", ws.Signal().String(), "core", ws.CoreDump())
		return true
	}
	return false
}

// done does the accounting of a child that is gone.
func (m *master) done(c *child) {
	if c.state == stDead {
		return
	}
	failed := exitFailed(c, m.inShutdown)
	delete(m.children, c.pid)
	if c.status != nil && !c.eof {
		c.status.Close()
	}
	l := c.l
	prev := c.state
	c.state = stDead
	if l == nil {
		return // an event
	}
	delete(l.children, c.pid)
	if c.kind == ckService {
		// what a crashed service left in the proc directory
		proc.RemovePID(m.set.procDir, c.pid)
	}
	l.nactive--
	if c.multi {
		l.used -= c.owned
	} else {
		l.used--
	}
	switch prev {
	case stReady:
		l.ready--
		if !m.inShutdown && failed {
			m.readyFail(l, c)
		}
	case stBusy:
		if !m.inShutdown && failed {
			debugf("child_in_busy_state_terminated_abnormally", "service", l.String(), "pid", c.pid)
		}
	case stUnknown:
		warnf("child_in_unknown_state_exited", "service", l.String(), "pid", c.pid)
	}
	m.balance(l)
}

// readyFail counts a child that died while ready: five within ten
// seconds turn the listener off until the next SIGHUP (daemons with
// wait=y are only reported).
func (m *master) readyFail(l *listener, c *child) {
	now := time.Now()
	if c.kind == ckWaitDaemon {
		warnf("daemon_in_ready_state_terminated_abnormally", "service", l.String(), "pid", c.pid)
	} else {
		warnf("service_in_ready_state_terminated_abnormally", "service", l.String(), "pid", c.pid)
	}
	if now.Sub(l.lastReadyFail) > readyFailInterval {
		l.nreadyfails = 0
	}
	l.lastReadyFail = now
	l.nreadyfails++
	if l.nreadyfails < maxReadyFails || l.failed {
		return
	}
	if c.kind == ckWaitDaemon {
		errorf("daemon_is_repeatedly_failing", "service", l.String())
		return
	}
	errorf("service_disabled_until_sighup", "service", l.String())
	l.failed = true
	if l.sock != nil {
		l.sock.close()
		l.sock = nil
	}
}

// ---- signals to children -------------------------------------------------

func signalGroup(pid int, sig syscall.Signal) {
	if err := syscall.Kill(-pid, sig); err == syscall.ESRCH {
		syscall.Kill(pid, sig)
	}
}

func signalOnly(pid int, sig syscall.Signal) {
	syscall.Kill(pid, sig)
}

func installSignals(ch chan os.Signal) {
	signal.Notify(ch, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGCHLD, syscall.SIGALRM)
}
