package lmtp

import (
	"bytes"
	"io"

	"gyrus/lib/mailbox"
)

// spoolMem is the largest message kept in memory while it arrives.
const spoolMem = 1 << 20

// spooler is where DATA writes the message as it arrives. A message of
// up to spoolMem bytes (nearly all mail) is kept in memory and staged in
// one go after the final dot, by the session goroutine itself; lib/deliver
// then parses those bytes instead of opening and reading the staged file
// again. A bigger message is streamed to the staging file as it arrives
// (through a pipe to a staging goroutine), never held whole: memory per
// session stays bounded. Either way the file is the same and is fsynced
// by the mailbox commit before any 250.
type spooler struct {
	dir string
	mem []byte
	pw  *io.PipeWriter
	res chan stagedResult
}

type stagedResult struct {
	st  *mailbox.Staged
	err error
}

func (s *spooler) Write(b []byte) (int, error) {
	if s.pw == nil {
		if len(s.mem)+len(b) <= spoolMem {
			s.mem = append(s.mem, b...)
			return len(b), nil
		}
		s.spill()
	}
	return s.pw.Write(b)
}

// spill starts streaming to the staging file, with what is held so far.
func (s *spooler) spill() {
	pr, pw := io.Pipe()
	s.pw, s.res = pw, make(chan stagedResult, 1)
	dir := s.dir
	go func() {
		st, err := mailbox.Stage(dir, pr)
		if err != nil {
			pr.CloseWithError(err)
		} else {
			pr.Close()
		}
		s.res <- stagedResult{st, err}
	}()
	held := s.mem
	s.mem = nil
	if _, err := pw.Write(held); err != nil {
		// the staging goroutine failed; finish reports its error
		return
	}
}

// finish stages the message (or ends the stream) and returns the staged
// file and, when the message was held in memory, its bytes. With abandon
// (a message refused, a write that failed) nothing is staged and a
// stream is cut off.
func (s *spooler) finish(abandon bool) (*mailbox.Staged, []byte, error) {
	if s.pw != nil {
		if abandon {
			s.pw.CloseWithError(errAbandoned)
		} else {
			s.pw.Close()
		}
		r := <-s.res
		return r.st, nil, r.err
	}
	if abandon {
		return nil, nil, errAbandoned
	}
	st, err := mailbox.Stage(s.dir, bytes.NewReader(s.mem))
	if err != nil {
		return nil, nil, err
	}
	if s.mem == nil {
		s.mem = []byte{}
	}
	return st, s.mem, nil
}
