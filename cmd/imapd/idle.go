package main

import (
	"errors"
	"strings"
	"time"

	"gyrus/lib/imapwire"
	"gyrus/lib/log"
)

// IDLE (RFC 2177), as Cyrus's cmd_idle: "+ idling", then untagged
// updates whenever the selected mailbox changes, whoever changed it
// (lib/idle's inotify watch wakes the session at once; imapidlepoll is
// the fallback tick, which also re-reads msg/shutdown and the deny
// list), until the client's DONE. The IDLE lasts at most imapidletimeout
// (else timeout); then the connection is closed, as in Cyrus.
//
// This is the one place a session uses a second goroutine: it blocks
// reading DONE while the session's goroutine writes updates. The reader
// touches only the parser, the session only the writer.
func (s *Session) cmdIdle(tag string) {
	if err := s.wr().Continue("idling"); err != nil {
		s.closing = true
		return
	}
	s.tellChanges(true)
	s.notifyEndCommand()
	if s.release() != nil {
		s.closing = true
		return
	}
	timeout := s.srv.cfg.Imapidletimeout()
	if timeout <= 0 {
		timeout = s.srv.cfg.Timeout()
	}
	poll := s.srv.idlePoll
	if poll <= 0 {
		poll = time.Minute
	}
	done := make(chan error, 1)
	s.raw.SetReadDeadline(time.Time{})
	go func() { done <- s.p.ReadIdleDone() }()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	var changed <-chan struct{}
	if s.sel != nil && s.sel.sub != nil {
		changed = s.sel.sub.C
	}
	notifyWake, notifyTick, stopNotify := s.notifyIdle() // notify.go
	defer stopNotify()
	for {
		select {
		case err := <-done:
			s.idleDone(tag, err)
			return
		case _, ok := <-changed:
			if !ok {
				changed = nil
				continue
			}
			if !s.notifySelectedNone() {
				s.tellChanges(true)
			}
			s.notifyEndCommand()
		case <-notifyWake:
			s.notifyEndCommand()
		case <-notifyTick:
			s.notifyEndCommand()
		case <-tick.C:
			if s.authed() && !s.isAdmin {
				if msg, ok := s.shutdownMessage(); ok {
					s.wr().RawString("* BYE [ALERT] " + strings.TrimLeft(msg, "[") + "\r\n")
					s.release()
					s.raw.Close()
					<-done
					s.closing = true
					return
				}
			}
			if !s.notifySelectedNone() {
				s.tellChanges(true)
			}
		case <-deadline:
			log.Debug("idle_timeout", "user", s.userid)
			s.raw.Close()
			<-done
			s.closing = true
			return
		}
		if s.release() != nil {
			s.raw.Close()
			<-done
			s.closing = true
			return
		}
	}
}

// idleDone ends IDLE after the client's line.
func (s *Session) idleDone(tag string, err error) {
	if err != nil {
		var ie *imapwire.Error
		if errors.As(err, &ie) {
			s.tellChanges(true)
			ie.Tag = tag
			s.wr().WriteError(ie)
			return
		}
		s.closing = true
		return
	}
	if !s.notifySelectedNone() {
		s.tellChanges(true)
	}
	s.ok(tag)
}
