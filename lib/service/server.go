package service

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/lib/log"
	"gyrus/lib/proc"
)

// fdReserve is how many descriptors a process keeps for files, databases
// and its own sockets besides its connections.
const fdReserve = 64

// server runs the accept loop and the sessions of one process.
type server struct {
	spec *Spec
	env  *Env
	ln   net.Listener
	link *link
	sl   *slots
	proc *proc.Process

	maxUses  int           // -U
	idle     time.Duration // -T, already randomised; 0 = never
	maxConns int           // from RLIMIT_NOFILE
	ka       keepalive

	ctx    context.Context // cancelled on SIGTERM
	cancel context.CancelFunc

	mu        sync.Mutex
	conns     map[net.Conn]struct{}
	nextID    uint64
	uses      int
	stopping  bool
	stopWhy   string
	idleTimer *time.Timer
	done      chan struct{} // closed when stopping and no session is left
	doneOnce  sync.Once
	wg        sync.WaitGroup // sessions
}

func newServer(spec *Spec, env *Env, ln net.Listener, l *link, sl *slots) *server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{
		spec: spec, env: env, ln: ln, link: l, sl: sl,
		ctx: ctx, cancel: cancel,
		conns: map[net.Conn]struct{}{},
		done:  make(chan struct{}),
	}
	s.maxConns = maxConnsFromRlimit()
	return s
}

func maxConnsFromRlimit() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		return 1 << 30
	}
	n := int(rl.Cur) - fdReserve
	if n < 1 {
		n = 1
	}
	return n
}

// serve runs until the process should exit.
func (s *server) serve() {
	sigs := earlySignals
	if sigs == nil {
		sigs = make(chan os.Signal, 4)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	}
	defer signal.Stop(sigs)
	go s.watchExecutable()
	go s.acceptLoop()
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				s.stopAccepting("SIGHUP")
			default:
				s.shutdown("signal " + sig.String())
			}
		case <-s.done:
			return
		}
	}
}

func (s *server) acceptLoop() {
	var lastErr time.Time
	for {
		if !s.sl.acquire() {
			return
		}
		conn, err := s.ln.Accept()
		if err != nil {
			s.sl.release(false)
			if s.isStopping() || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EINVAL) {
				// closed by us, or shut down by master (service removed)
				s.stopAccepting("listener closed")
				s.maybeFinish()
				return
			}
			if time.Since(lastErr) > 10*time.Second {
				log.Error("accept_failed", "error", err)
				lastErr = time.Now()
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		s.link.send(MsgConnectionMulti)
		s.startSession(conn)
	}
}

func (s *server) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

func (s *server) startSession(conn net.Conn) {
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	s.uses++
	s.conns[conn] = struct{}{}
	if s.idleTimer != nil {
		s.idleTimer.Stop()
		s.idleTimer = nil
	}
	retire := ""
	switch {
	case s.maxUses > 0 && s.uses >= s.maxUses:
		retire = "max uses reached"
	case len(s.conns) >= s.maxConns:
		retire = "descriptors nearly used up"
	}
	s.wg.Add(1)
	s.mu.Unlock()
	if retire != "" {
		s.stopAccepting(retire)
	}
	go s.session(id, conn)
}

// session runs one session; a panic ends it and is logged with its stack.
func (s *server) session(id uint64, conn net.Conn) {
	var sess *Session
	defer func() {
		if r := recover(); r != nil {
			log.Error("session_panic", "service", s.env.Service, "session", id, "panic", r, "stack", string(debug.Stack()))
		}
		conn.Close()
		if sess != nil {
			sess.close()
		}
		s.endSession(conn)
	}()
	s.ka.apply(conn)
	sess = newSession(id, s.env, conn, s.proc, s.env.ReverseLookups)
	s.spec.Serve(s.ctx, conn, sess)
}

func (s *server) endSession(conn net.Conn) {
	s.mu.Lock()
	delete(s.conns, conn)
	if len(s.conns) == 0 && !s.stopping && s.idle > 0 && s.uses > 0 {
		s.idleTimer = time.AfterFunc(s.idle, func() { s.stopAccepting("idle timeout") })
	}
	s.mu.Unlock()
	s.sl.release(true)
	s.wg.Done()
	s.maybeFinish()
}

// maybeFinish ends the process once it stopped accepting and holds no
// connection, not even one the accept loop is about to hand over.
func (s *server) maybeFinish() {
	if s.isStopping() && s.sl.active() == 0 {
		s.finish()
	}
}

// stopAccepting retires the process: no new connections, the sessions go
// on, and the process exits when the last one ends.
func (s *server) stopAccepting(why string) {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return
	}
	s.stopping, s.stopWhy = true, why
	if s.idleTimer != nil {
		s.idleTimer.Stop()
	}
	left := len(s.conns)
	s.mu.Unlock()
	s.ln.Close()
	// (logged once the listener is closed: whoever reads this line
	// knows the process accepts nothing more)
	log.Info("service_retiring", "reason", why, "sessions", left)
	s.sl.drain()
	s.maybeFinish()
}

// shutdown is SIGTERM: stop accepting, ask the sessions to end, and
// close their connections after the grace period.
func (s *server) shutdown(why string) {
	s.stopAccepting(why)
	s.cancel()
	grace := s.spec.ShutdownGrace
	if grace <= 0 {
		grace = 10 * time.Second
	}
	time.AfterFunc(grace, func() {
		s.mu.Lock()
		n := len(s.conns)
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		if n > 0 {
			log.Notice("shutdown_closed_sessions", "sessions", n)
		}
		// A session stuck in something other than its connection must
		// not keep the process: give it a moment, then leave.
		time.AfterFunc(2*time.Second, s.finish)
	})
}

func (s *server) finish() {
	s.doneOnce.Do(func() { close(s.done) })
}

// watchExecutable retires the process when its program file is replaced
// or removed (service.c compares inode, size and mtime before accepting).
func (s *server) watchExecutable() {
	path, err := os.Executable()
	if err != nil {
		return
	}
	first, err := os.Stat(path)
	if err != nil {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			log.Info("process_file_gone", "path", path, "error", err)
		case !os.SameFile(first, fi) || fi.Size() != first.Size() || !fi.ModTime().Equal(first.ModTime()):
			log.Info("process_file_changed", "path", path)
		default:
			continue
		}
		s.stopAccepting("executable changed")
		return
	}
}

// randomIdle picks the -T timeout in [T, 2T) as service.c does, so that
// processes started together do not all leave together.
func randomIdle(t int) time.Duration {
	if t <= 0 {
		return 0
	}
	return time.Duration(t+rand.IntN(t)) * time.Second
}
