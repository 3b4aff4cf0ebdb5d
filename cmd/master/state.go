package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/lib/config/cyrusconf"
)

// entry is one SERVICES or DAEMON entry of cyrus.conf (Cyrus's "struct
// service" before it is split per socket).
type entry struct {
	name      string
	daemon    bool // DAEMON section
	wait      bool // DAEMON with wait=y
	line      int
	cmd       []string
	path      string
	listen    string
	proto     string
	prefork   int
	maxchild  int // cyrusconf.Unlimited or a limit, per socket
	babysit   bool
	forkRate  int // maxforkrate, 0 = none
	maxfds    int
	enabled   bool // present in the last cyrus.conf read (Cyrus: s->exec != NULL)
	listeners []*listener
}

// listener is one bound socket of a service entry, or the single slot of
// a daemon: Cyrus counts prefork, maxchild, ready workers and failures
// per socket, and so do we. CYRUS_ID is its index in the entry.
type listener struct {
	e      *entry
	id     int
	family string  // ipv4, ipv6, unix or daemon
	sock   *socket // nil for daemons and while closed
	// rebind binds this listener's address again; nil for daemons.
	rebind func() (*socket, error)

	children map[int]*child
	ready    int // children in READY state (Cyrus ready_workers)
	nactive  int // live children
	// used is the capacity the children hold, in connections: 1 for
	// each one-connection child (and each child that has not yet said
	// it serves many), the granted slots of each many-connection child.
	// maxchild caps it.
	used   int
	nforks int
	nconns int64

	failed        bool // too many ready failures: off until SIGHUP
	nreadyfails   int
	lastReadyFail time.Time

	forkrate      float64
	intervalForks int
	lastInterval  time.Time
	throttleUntil time.Time
	throttled     bool // logged the current throttling episode

	armed bool          // the watcher will report a pending connection
	arm   chan struct{} // wakes the watcher
}

func (l *listener) String() string { return l.e.name + "/" + l.family }

// hasCapacity reports whether one more child may start: the connections
// in use (one per one-connection child) are under maxchild. Slots that
// accepting many-connection children hold unused do not count: master
// can revoke them for the newcomer.
func (l *listener) hasCapacity() bool {
	if l.e.maxchild < 0 {
		return true
	}
	busy := l.used
	for _, c := range l.children {
		if c.multi && c.state == stReady && c.owned > c.inuse {
			busy -= c.owned - c.inuse
		}
	}
	return busy < l.e.maxchild
}

// live reports whether master should keep children for this listener.
func (l *listener) live() bool {
	return l.e.enabled && !l.failed && (l.e.daemon || l.sock != nil)
}

type childKind int

const (
	ckService childKind = iota
	ckDaemon
	ckWaitDaemon
	ckEvent
)

func (k childKind) String() string {
	return [...]string{"SERVICE", "DAEMON", "DAEMON", "EVENT"}[k]
}

type cstate int

const (
	stReady cstate = iota
	stBusy
	stDead
	stUnknown
)

func (s cstate) String() string {
	return [...]string{"READY", "BUSY", "DEAD", "UNKNOWN"}[s]
}

// child is one process master started and has not yet finished with.
type child struct {
	pid     int
	kind    childKind
	name    string
	path    string
	l       *listener // services and daemons
	state   cstate
	spawned time.Time
	hupAt   time.Time // when SIGHUP was sent (janitor reports laggards)

	// slot protocol (see lib/service/doc.go)
	multi     bool
	unlimited bool
	owned     int  // slots granted and not given back
	inuse     int  // connections open
	revoking  bool // a SLOT_REVOKE awaits its REVOKE_DONE

	status *os.File // master's end of the child's fd 3, or nil
	eof    bool     // status closed: every message has been read
	reaped bool
	ws     unix.WaitStatus
	// finalizeBy bounds the wait for eof after the child was reaped.
	finalizeBy time.Time
}

func (c *child) describe() string {
	return fmt.Sprintf("process type:%s name:%s path:%s age:%.3fs pid:%d",
		c.kind, c.name, c.path, time.Since(c.spawned).Seconds(), c.pid)
}

// event is an EVENTS entry with its next run, in the events clock.
type event struct {
	name   string
	cmd    []string
	path   string
	period time.Duration
	at     int // hhmm, or -1
	next   time.Time
}

func newEntryFromService(s *cyrusconf.Service, path string) *entry {
	return &entry{
		name: s.Name, line: s.Line, cmd: s.Cmd, path: path,
		listen: s.Listen, proto: s.Proto, prefork: s.Prefork, maxchild: s.MaxChild,
		babysit: s.Babysit, forkRate: s.MaxForkRate, maxfds: s.MaxFDs, enabled: true,
	}
}

func (e *entry) updateFromService(s *cyrusconf.Service, path string) {
	e.line, e.cmd, e.path = s.Line, s.Cmd, path
	e.prefork, e.maxchild, e.babysit = s.Prefork, s.MaxChild, s.Babysit
	e.forkRate, e.maxfds = s.MaxForkRate, s.MaxFDs
	e.enabled = true
}

func newEntryFromDaemon(d *cyrusconf.Daemon, path string) *entry {
	e := &entry{name: d.Name, daemon: true}
	e.updateFromDaemon(d, path)
	return e
}

// updateFromDaemon applies a DAEMON entry: one process, kept alive
// (master.c add_daemon: babysit, prefork 1, maxchild 1).
func (e *entry) updateFromDaemon(d *cyrusconf.Daemon, path string) {
	e.line, e.cmd, e.path, e.wait = d.Line, d.Cmd, path, d.Wait
	e.prefork, e.maxchild, e.babysit = 1, 1, true
	e.forkRate, e.maxfds = d.MaxForkRate, d.MaxFDs
	e.enabled = true
	if len(e.listeners) == 0 {
		e.listeners = []*listener{newListener(e, 0, "daemon", nil)}
	}
}

func newListener(e *entry, id int, family string, s *socket) *listener {
	l := &listener{
		e: e, id: id, family: family, sock: s,
		children:     map[int]*child{},
		arm:          make(chan struct{}, 1),
		lastInterval: time.Now(),
	}
	if s != nil {
		l.rebind = s.rebind
	}
	return l
}
