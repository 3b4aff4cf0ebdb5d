package service

import "sync"

// slots counts the connections this process may hold (see doc.go, "The
// master protocol"). granted is what master handed out and was not given
// back (-1: no limit); inuse counts sessions plus the one reservation the
// accept loop holds while it waits in accept.
type slots struct {
	mu       sync.Mutex
	cond     *sync.Cond
	granted  int
	inuse    int
	closed   bool // no more acquisitions
	draining bool // give slots back as they free up
	link     *link
	ext      bool // Gyrus's master: send CONNECTION_END and SLOT_RELEASE
}

func newSlots(granted int, l *link, ext bool) *slots {
	s := &slots{granted: granted, link: l, ext: ext}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// acquire waits for a free slot and takes it; false once closed.
func (s *slots) acquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.closed && s.granted >= 0 && s.inuse >= s.granted {
		s.cond.Wait()
	}
	if s.closed {
		return false
	}
	s.inuse++
	return true
}

// release frees a slot: after a session (ended = true, master is told the
// connection ended) or after a failed accept. While draining, the slot
// goes back to master.
func (s *slots) release(ended bool) {
	s.mu.Lock()
	s.inuse--
	give := s.draining && s.granted > 0
	if give {
		s.granted--
	}
	if ended && s.ext {
		s.link.send(MsgConnectionEnd)
	}
	if give {
		s.link.send(MsgSlotRelease)
	}
	s.cond.Broadcast()
	s.mu.Unlock()
}

// grant adds slots from master.
func (s *slots) grant(n int32) {
	s.mu.Lock()
	switch {
	case n == SlotsUnlimited:
		s.granted = -1
	case s.draining:
		// Granted while we were retiring: hand it straight back.
		s.link.sendN(MsgSlotRelease, int(n))
	case s.granted >= 0 && n > 0:
		s.granted += int(n)
	}
	s.cond.Broadcast()
	s.mu.Unlock()
}

// revoke gives back up to n unused slots because master needs them for
// another process, and says when it is done.
func (s *slots) revoke(n int32) {
	s.mu.Lock()
	if s.granted > 0 && n > 0 {
		free := s.granted - s.inuse
		if int(n) < free {
			free = int(n)
		}
		if free > 0 {
			s.granted -= free
			s.link.sendN(MsgSlotRelease, free)
		}
	}
	s.link.send(MsgRevokeDone)
	s.mu.Unlock()
}

// drain stops acquisitions and gives every free slot back. It runs
// under the same lock as the accounting so that master sees UNAVAILABLE
// before the releases, and the releases match what is free.
func (s *slots) drain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return
	}
	s.closed, s.draining = true, true
	s.link.send(MsgUnavailable)
	if s.granted > 0 {
		free := s.granted - s.inuse
		if free > 0 {
			s.granted -= free
			s.link.sendN(MsgSlotRelease, free)
		}
	}
	s.cond.Broadcast()
}

// active returns the number of slots in use.
func (s *slots) active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inuse
}
