package imapwire

import "io"

// Literal streams the data of a literal (APPEND message data, CATENATE TEXT
// part) straight from the connection: the parser never holds it. Read it to
// the end, or leave it: the parser skips what is left when the command
// goes on. It satisfies go-imap's imap.LiteralReader.
type Literal struct {
	p       *Parser
	size    int64
	left    int64
	binary  bool
	nonSync bool
	err     error
}

// Size returns the announced size.
func (l *Literal) Size() int64 { return l.size }

// Binary reports a literal8 (~{n}, RFC 3516): the data may hold NUL.
func (l *Literal) Binary() bool { return l.binary }

// NonSync reports a non-synchronizing literal ({n+}, RFC 7888).
func (l *Literal) NonSync() bool { return l.nonSync }

// Read reads literal data; it returns io.EOF at the end of the literal and
// io.ErrUnexpectedEOF if the connection ends before.
func (l *Literal) Read(b []byte) (int, error) {
	if l.left == 0 {
		return 0, io.EOF
	}
	if l.err != nil {
		return 0, l.err
	}
	if int64(len(b)) > l.left {
		b = b[:l.left]
	}
	n, err := l.p.br.Read(b)
	l.left -= int64(n)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		l.err = err
		l.p.ioErr = err
		if n > 0 {
			return n, nil
		}
		return 0, err
	}
	return n, nil
}

// WriteTo copies the rest of the literal to w without an intermediate
// buffer of the caller's.
func (l *Literal) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for l.left > 0 {
		if l.err != nil {
			return total, l.err
		}
		if l.p.br.Buffered() == 0 {
			if _, err := l.p.br.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				l.err, l.p.ioErr = err, err
				return total, err
			}
		}
		n := int64(l.p.br.Buffered())
		if n > l.left {
			n = l.left
		}
		chunk, _ := l.p.br.Peek(int(n))
		m, err := w.Write(chunk)
		l.p.br.Discard(m)
		l.left -= int64(m)
		total += int64(m)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// drain skips what the caller did not read.
func (l *Literal) drain() bool {
	if l.left == 0 {
		return true
	}
	if l.err != nil {
		return false
	}
	_, err := io.CopyN(io.Discard, l.p.br, l.left)
	l.left = 0
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		l.err, l.p.ioErr = err, err
		return false
	}
	return true
}
