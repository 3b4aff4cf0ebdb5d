package service

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"gyrus/lib/log"
)

// link is the status channel to master (fd 3).
type link struct {
	mu    sync.Mutex
	f     *os.File
	pid   int32
	slots bool // Gyrus master: the slot protocol, messages both ways
	dead  bool
}

// openLink takes over fd 3. With the slot protocol the descriptor is a
// socket and is read too; with Cyrus's master it is a pipe shared with
// the other children, and its flags are left alone.
func openLink(slots bool) *link {
	syscall.CloseOnExec(StatusFD)
	if slots {
		unix.SetNonblock(StatusFD, true)
	}
	return &link{f: os.NewFile(StatusFD, "master-status"), pid: int32(os.Getpid()), slots: slots}
}

// send writes one message; a failure is logged once and further messages
// are dropped (master is gone; SIGTERM follows).
func (l *link) send(code int32) {
	if l == nil {
		return
	}
	b := Msg{Code: code, Value: l.pid}.Encode()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		return
	}
	if _, err := l.f.Write(b[:]); err != nil {
		l.dead = true
		if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
			// master exited; its SIGTERM (or ours, Pdeathsig) follows
			log.Warn("master_gone", "message", Msg{Code: code}.String())
			return
		}
		log.Error("master_notify_failed", "message", Msg{Code: code}.String(), "error", err)
	}
}

// sendN writes n copies of a message.
func (l *link) sendN(code int32, n int) {
	for ; n > 0; n-- {
		l.send(code)
	}
}

// readGrants delivers master's messages until fd 3 closes; then gone is
// called (master has exited).
func (l *link) readGrants(grant, revoke func(n int32), gone func()) {
	var b [MsgSize]byte
	for {
		if _, err := io.ReadFull(l.f, b[:]); err != nil {
			gone()
			return
		}
		m := DecodeMsg(b[:])
		switch m.Code {
		case MsgSlotGrant:
			grant(m.Value)
		case MsgSlotRevoke:
			revoke(m.Value)
		default:
			log.Error("master_message_unknown", "message", m.String())
		}
	}
}
