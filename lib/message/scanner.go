package message

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync/atomic"
)

// scanner reads the message file front to back exactly once, the way
// Cyrus walks its mmap()ed copy line by line, and hands every byte it
// consumes to whoever needs it:
//   - the SHA-1 of the whole file (the message GUID), as bytes are loaded;
//   - the raw SHA-1 of each message/rfc822 part being parsed ("raw sinks");
//   - the decoded SHA-1 of the leaf part being parsed (passed per line).
//
// A line that turns out to be a MIME boundary is not fed to the raw sinks
// at once: it ends the part whose parse is then finished, and only if
// parsing goes on does it belong to the enclosing message/rfc822 parts
// ("pending" line). The two bytes before a boundary (the CRLF that RFC
// 2046 gives to the boundary) are held back by every sink (see
// rangeSink) and dropped or kept when the part's size is final.
type scanner struct {
	r    io.ReaderAt
	size int64

	win  []byte // window on the file
	wOff int64  // file offset of win[0]
	pos  int64  // current offset (Cyrus msg->offset)

	sha    hash.Hash // whole file
	loaded int64     // bytes read into the window (and hashed) so far
	err    error

	raws    []*rangeSink
	pendOff int64 // pending boundary line, if pendLen > 0
	pendLen int64
}

const windowSize = 64 << 10

func newScanner(r io.ReaderAt, size int64) *scanner {
	if m, ok := r.(memMessage); ok && int64(len(m)) == size {
		// In memory already: the window is the whole message, loaded
		// and hashed at once; fill never slides it (everything is
		// loaded) and nothing writes into it.
		s := &scanner{r: r, size: size, sha: sha1.New(), win: m, loaded: size}
		s.sha.Write(m)
		return s
	}
	w := int64(windowSize)
	if size < w {
		w = max(size, 1)
	}
	return &scanner{r: r, size: size, sha: sha1.New(), win: make([]byte, 0, w)}
}

// memMessage is a message held in memory (ParseBytes), which the
// scanner reads in place instead of copying it into a window.
type memMessage []byte

func (m memMessage) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(m)) {
		return 0, fmt.Errorf("read at %d of %d bytes: %w", off, len(m), io.ErrUnexpectedEOF)
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// avail returns the bytes from pos to the end of the window.
func (s *scanner) avail() []byte {
	return s.win[s.pos-s.wOff:]
}

// fill makes at least n bytes after pos available, unless the file ends
// first. It returns false only on a read error.
func (s *scanner) fill(n int) bool {
	if s.err != nil {
		return false
	}
	have := int64(len(s.win)) - (s.pos - s.wOff)
	if have >= int64(n) || s.loaded >= s.size {
		return true
	}
	// Slide what is left to the front.
	keep := s.win[s.pos-s.wOff:]
	if n > cap(s.win) {
		nw := make([]byte, len(keep), n+windowSize)
		copy(nw, keep)
		s.win = nw
	} else {
		copy(s.win[:cap(s.win)], keep)
		s.win = s.win[:len(keep)]
	}
	s.wOff = s.pos
	for int64(len(s.win)) < int64(n) && s.loaded < s.size {
		room := s.win[len(s.win):cap(s.win)]
		if rem := s.size - s.loaded; int64(len(room)) > rem {
			room = room[:rem]
		}
		m, err := s.r.ReadAt(room, s.loaded)
		if m > 0 {
			s.sha.Write(room[:m])
			s.loaded += int64(m)
			s.win = s.win[:len(s.win)+m]
			continue
		}
		if err == nil {
			err = io.ErrNoProgress
		} else if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		s.err = fmt.Errorf("read message at %d: %w", s.loaded, err)
		return false
	}
	return true
}

func (s *scanner) atEOF() bool { return s.pos >= s.size || s.err != nil }

// releasePending feeds a pending boundary line to the raw sinks still
// active: parsing went on, so it belongs to them.
func (s *scanner) releasePending() {
	if s.pendLen == 0 {
		return
	}
	off, n := s.pendOff, s.pendLen
	s.pendLen = 0
	if len(s.raws) == 0 {
		return
	}
	buf := make([]byte, min(n, windowSize))
	for n > 0 {
		c := buf[:min(n, int64(len(buf)))]
		m, err := s.r.ReadAt(c, off)
		if m <= 0 {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			s.err = fmt.Errorf("re-read boundary at %d: %w", off, err)
			return
		}
		for _, r := range s.raws {
			r.feed(c[:m])
		}
		off += int64(m)
		n -= int64(m)
	}
}

// linePrefix returns up to k bytes of the line at pos (through its LF if
// that comes first) and whether that is the whole line.
func (s *scanner) linePrefix(k int) (prefix []byte, whole bool) {
	s.fill(k)
	a := s.avail()
	lim := min(k, len(a))
	for i := 0; i < lim; i++ {
		if a[i] == '\n' {
			return a[:i+1], true
		}
	}
	if lim < k {
		return a[:lim], true // the file ends within k bytes
	}
	return a[:lim], false
}

// consumeLine consumes the line at pos (through LF or end of file),
// feeding it to leaf (may be nil) and, unless it is a boundary, to the
// raw sinks. It returns the line's length and whether it ends in LF.
func (s *scanner) consumeLine(leaf *rangeSink, boundary bool) (n int64, lf bool) {
	s.releasePending()
	start := s.pos
	for !s.atEOF() {
		if !s.fill(1) {
			break
		}
		a := s.avail()
		if len(a) == 0 {
			break
		}
		end := len(a)
		for i, c := range a {
			if c == '\n' {
				end, lf = i+1, true
				break
			}
		}
		chunk := a[:end]
		if !boundary {
			for _, r := range s.raws {
				r.feed(chunk)
			}
			if leaf != nil {
				leaf.feed(chunk)
			}
		}
		s.pos += int64(end)
		if lf {
			break
		}
	}
	n = s.pos - start
	if boundary {
		s.pendOff, s.pendLen = start, n
	}
	return n, lf
}

// readLine appends the line at pos to dst without feeding anyone (the
// caller decides with commitLine once it knows whether it is a
// boundary).
func (s *scanner) readLine(dst []byte) []byte {
	for !s.atEOF() {
		if !s.fill(1) {
			break
		}
		a := s.avail()
		if len(a) == 0 {
			break
		}
		end := len(a)
		lf := false
		for i, c := range a {
			if c == '\n' {
				end, lf = i+1, true
				break
			}
		}
		dst = append(dst, a[:end]...)
		s.pos += int64(end)
		if lf {
			break
		}
	}
	return dst
}

// commitLine feeds a line read by readLine (ending at pos).
func (s *scanner) commitLine(line []byte, boundary bool) {
	s.releasePending()
	if boundary {
		s.pendOff, s.pendLen = s.pos-int64(len(line)), int64(len(line))
		return
	}
	for _, r := range s.raws {
		r.feed(line)
	}
}

// finish reads whatever the parse did not consume, for the whole-file
// SHA-1, and returns it.
func (s *scanner) finish() ([20]byte, error) {
	for s.err == nil && s.loaded < s.size {
		s.pos = s.wOff + int64(len(s.win))
		if !s.fill(windowSize) {
			break
		}
		if int64(len(s.win)) == 0 {
			break
		}
	}
	var sum [20]byte
	if s.err != nil {
		return sum, s.err
	}
	copy(sum[:], s.sha.Sum(nil))
	return sum, nil
}

// sinkRereads counts contents read a second time because the streamed
// bytes did not fit the final size: that happens only when a NUL cuts a
// header block short (Cyrus then counts fewer bytes than it read); tests
// check that nothing else causes it.
var sinkRereads atomic.Int64

// rangeSink computes the SHA-1 (and length) of a part's content, decoded
// with its transfer encoding, while the content streams by. It holds the
// last two bytes back, since Cyrus takes the CRLF before a boundary away
// from the part once it sees the boundary.
type rangeSink struct {
	start int64 // file offset of the content
	enc   int
	fed   int64
	hold  [2]byte
	nhold int

	dec  transferDecoder
	sha  hash.Hash
	n    int64 // decoded bytes
	none bool  // encoding Cyrus cannot decode
}

func newRangeSink(start int64, enc int) *rangeSink {
	r := &rangeSink{start: start, enc: enc, sha: sha1.New()}
	r.dec = newTransferDecoder(enc, r)
	if r.dec == nil {
		r.none = true
	}
	return r
}

// Write receives decoded bytes.
func (r *rangeSink) Write(p []byte) (int, error) {
	r.sha.Write(p)
	r.n += int64(len(p))
	return len(p), nil
}

func (r *rangeSink) process(p []byte) {
	if !r.none && len(p) > 0 {
		r.dec.write(p)
	}
}

func (r *rangeSink) feed(p []byte) {
	r.fed += int64(len(p))
	if len(p) >= 2 {
		r.process(r.hold[:r.nhold])
		r.process(p[:len(p)-2])
		r.hold[0], r.hold[1] = p[len(p)-2], p[len(p)-1]
		r.nhold = 2
		return
	}
	for _, c := range p {
		if r.nhold == 2 {
			r.process(r.hold[:1])
			r.hold[0] = r.hold[1]
			r.nhold = 1
		}
		r.hold[r.nhold] = c
		r.nhold++
	}
}

// finish ends the content at size bytes. If the bytes fed do not fit that
// size (a NUL in a nested header block), the content is read again.
func (r *rangeSink) finish(size uint32, src io.ReaderAt) (guid [20]byte, decoded uint32, ok bool) {
	if r.none {
		return guid, 0, false
	}
	processed := r.fed - int64(r.nhold)
	if int64(size) < processed || int64(size) > r.fed {
		sinkRereads.Add(1)
		fresh := newRangeSink(r.start, r.enc)
		buf := make([]byte, windowSize)
		for off := int64(0); off < int64(size); {
			c := buf[:min(int64(len(buf)), int64(size)-off)]
			m, _ := src.ReadAt(c, r.start+off)
			if m <= 0 {
				break
			}
			fresh.process(c[:m])
			off += int64(m)
		}
		r = fresh
	} else {
		r.process(r.hold[:int64(size)-processed])
	}
	r.dec.flush()
	copy(guid[:], r.sha.Sum(nil))
	return guid, uint32(r.n), true
}
