package imapwire

import (
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
)

// Writer writes server responses. Output is buffered: it reaches the
// connection when the buffer fills, on Flush, and on continuation requests.
// Cork holds output back (a whole FETCH answer can leave in large
// segments); Uncork releases it. Writer is not safe for concurrent use;
// during IDLE the session serialises its writes.
//
// Strings follow Cyrus's rules (lib/prot.c prot_printstring and
// prot_printastring): an atom when allowed and not "NIL", a quoted string
// when shorter than 1024 bytes and made of QUOTED-CHARs other than '%',
// else a literal. Once UTF-8 is enabled (RFC 9051/6855, SetUTF8) valid
// UTF-8 may be quoted too.
type Writer struct {
	w       io.Writer
	buf     []byte
	err     error
	corked  bool
	pending bool // a Flush was asked for while corked
	utf8    bool
	fw      FetchWriter // reused by Fetch
}

const (
	writerChunk   = 32 << 10 // buffer size that triggers a write
	writerMaxHeld = 1 << 20  // a corked buffer is written anyway beyond this
	maxQString    = 1024     // Cyrus's MAXQSTRING
)

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, buf: make([]byte, 0, writerChunk+4096)}
}

// Reset makes the writer write to w from now on (after STARTTLS or
// COMPRESS); buffered output must have been flushed.
func (w *Writer) Reset(dst io.Writer) { w.w = dst }

// SetUTF8 allows UTF-8 in quoted strings (after ENABLE UTF8=ACCEPT).
func (w *Writer) SetUTF8(on bool) { w.utf8 = on }

// Err returns the first write error; later writes are dropped.
func (w *Writer) Err() error { return w.err }

// Buffered returns the number of bytes not written yet.
func (w *Writer) Buffered() int { return len(w.buf) }

// Flush writes the buffered output, or, when corked, marks it to be written
// at Uncork.
func (w *Writer) Flush() error {
	if w.corked {
		w.pending = true
		return w.err
	}
	return w.flush()
}

func (w *Writer) flush() error {
	if w.err != nil {
		w.buf = w.buf[:0]
		return w.err
	}
	if len(w.buf) > 0 {
		_, w.err = w.w.Write(w.buf)
		w.buf = w.buf[:0]
	}
	if f, ok := w.w.(interface{ Flush() error }); ok && w.err == nil {
		w.err = f.Flush()
	}
	return w.err
}

// Cork holds output back until Uncork (except a buffer beyond 1 MiB, which
// is written to bound memory).
func (w *Writer) Cork() { w.corked = true }

// Uncork releases corked output; it flushes if a Flush was asked for.
func (w *Writer) Uncork() error {
	w.corked = false
	if w.pending {
		w.pending = false
		return w.flush()
	}
	return w.err
}

// maybeWrite writes a full buffer.
func (w *Writer) maybeWrite() {
	if len(w.buf) >= writerChunk && (!w.corked || len(w.buf) >= writerMaxHeld) {
		if w.err == nil {
			_, w.err = w.w.Write(w.buf)
		}
		w.buf = w.buf[:0]
	}
}

// Raw appends bytes as they are.
func (w *Writer) Raw(b []byte) *Writer {
	w.buf = append(w.buf, b...)
	w.maybeWrite()
	return w
}

// RawString appends a string as it is.
func (w *Writer) RawString(s string) *Writer {
	w.buf = append(w.buf, s...)
	w.maybeWrite()
	return w
}

// Atom appends an atom (no check).
func (w *Writer) Atom(s string) *Writer { return w.RawString(s) }

// SP appends a space.
func (w *Writer) SP() *Writer {
	w.buf = append(w.buf, ' ')
	return w
}

// CRLF ends a response line.
func (w *Writer) CRLF() *Writer {
	w.buf = append(w.buf, '\r', '\n')
	w.maybeWrite()
	return w
}

// Number appends a decimal number.
func (w *Writer) Number(n uint32) *Writer {
	w.buf = strconv.AppendUint(w.buf, uint64(n), 10)
	return w
}

// Number64 appends a decimal 64-bit number.
func (w *Writer) Number64(n uint64) *Writer {
	w.buf = strconv.AppendUint(w.buf, n, 10)
	return w
}

// Nil appends NIL.
func (w *Writer) Nil() *Writer { return w.RawString("NIL") }

// Star starts an untagged response ("* ").
func (w *Writer) Star() *Writer {
	w.buf = append(w.buf, '*', ' ')
	return w
}

// isQChar is Cyrus's isQCHAR: what may be quoted.
func isQChar(c byte) bool {
	return c&0x80 == 0 && c != '\r' && c != '\n' && c != '"' && c != '%' && c != '\\' && c != 0
}

// quotable reports whether s can be sent quoted.
func (w *Writer) quotable(s string) bool {
	if len(s) >= maxQString {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isQChar(s[i]) {
			if s[i]&0x80 != 0 && w.utf8 {
				continue
			}
			return false
		}
	}
	return !(w.utf8 && !utf8.ValidString(s))
}

// String appends s as a quoted string or a literal (prot_printstring).
func (w *Writer) String(s string) *Writer {
	if w.quotable(s) {
		w.buf = append(w.buf, '"')
		w.buf = append(w.buf, s...)
		w.buf = append(w.buf, '"')
		w.maybeWrite()
		return w
	}
	return w.LiteralString(s)
}

// NString appends s, or NIL when ok is false.
func (w *Writer) NString(s string, ok bool) *Writer {
	if !ok {
		return w.Nil()
	}
	return w.String(s)
}

// AString appends s as an atom when it is one (and not "NIL"), else as
// String does (prot_printastring). The empty string is "".
func (w *Writer) AString(s string) *Writer {
	if s == "" {
		return w.RawString(`""`)
	}
	if s != "NIL" && isAtomString(s) {
		return w.RawString(s)
	}
	return w.String(s)
}

func isAtomString(s string) bool {
	if len(s) >= 1024 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c&0x80 != 0 || c < 0x1f || c == 0x7f || c == ' ' || c == '{' ||
			c == '(' || c == ')' || c == '"' || c == '%' || c == '*' || c == '\\' {
			return false
		}
	}
	return true
}

// Bytes appends b as a quoted string or a literal, NUL bytes forcing a
// literal (prot_printmap).
func (w *Writer) Bytes(b []byte) *Writer {
	if w.quotable(string(b)) {
		w.buf = append(w.buf, '"')
		w.buf = append(w.buf, b...)
		w.buf = append(w.buf, '"')
		w.maybeWrite()
		return w
	}
	w.literalHeader(int64(len(b)), false)
	return w.Raw(b)
}

// LiteralString appends s as a literal "{n}\r\n" followed by s.
func (w *Writer) LiteralString(s string) *Writer {
	w.literalHeader(int64(len(s)), false)
	return w.RawString(s)
}

func (w *Writer) literalHeader(n int64, binary bool) {
	if binary {
		w.buf = append(w.buf, '~')
	}
	w.buf = append(w.buf, '{')
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.buf = append(w.buf, '}', '\r', '\n')
}

// Literal appends a literal of size bytes copied from r (literal8 "~{n}"
// when binary, for BINARY[] data that holds NUL). The data is never held
// whole: large literals go straight to the connection (unless corked), small
// ones through the buffer. If r ends early the connection is out of step:
// the error is returned and kept, and the session must close the
// connection.
func (w *Writer) Literal(size int64, r io.Reader, binary bool) error {
	w.literalHeader(size, binary)
	if !w.corked && size > writerChunk && w.err == nil {
		if len(w.buf) > 0 {
			_, w.err = w.w.Write(w.buf)
			w.buf = w.buf[:0]
		}
		if w.err == nil {
			var n int64
			n, w.err = io.CopyN(w.w, r, size)
			if w.err == io.EOF && n < size {
				w.err = io.ErrUnexpectedEOF
			}
		}
		return w.err
	}
	for size > 0 {
		w.maybeWrite()
		if cap(w.buf)-len(w.buf) < 4096 {
			nb := make([]byte, len(w.buf), 2*cap(w.buf)+4096)
			copy(nb, w.buf)
			w.buf = nb
		}
		room := int64(cap(w.buf) - len(w.buf))
		if room > size {
			room = size
		}
		n, err := r.Read(w.buf[len(w.buf) : len(w.buf)+int(room)])
		w.buf = w.buf[:len(w.buf)+n]
		size -= int64(n)
		if err != nil && size > 0 {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			if w.err == nil {
				w.err = err
			}
			return err
		}
	}
	w.maybeWrite()
	return w.err
}

// Flags appends a parenthesised flag list.
func (w *Writer) Flags(flags []imap.Flag) *Writer {
	w.buf = append(w.buf, '(')
	for i, f := range flags {
		if i > 0 {
			w.buf = append(w.buf, ' ')
		}
		w.buf = append(w.buf, f...)
	}
	w.buf = append(w.buf, ')')
	w.maybeWrite()
	return w
}

// NumSet appends a sequence set.
func (w *Writer) NumSet(set imap.NumSet) *Writer {
	switch s := set.(type) {
	case imap.SeqSet:
		for i, r := range s {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.appendRange(r.Start, r.Stop)
		}
	case imap.UIDSet:
		if imap.IsSearchRes(s) {
			w.buf = append(w.buf, '$')
			return w
		}
		for i, r := range s {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.appendRange(uint32(r.Start), uint32(r.Stop))
		}
	default:
		if set != nil {
			w.RawString(set.String())
		}
	}
	w.maybeWrite()
	return w
}

func (w *Writer) appendRange(start, stop uint32) {
	num := func(n uint32) {
		if n == 0 {
			w.buf = append(w.buf, '*')
		} else {
			w.buf = strconv.AppendUint(w.buf, uint64(n), 10)
		}
	}
	num(start)
	if start != stop {
		w.buf = append(w.buf, ':')
		num(stop)
	}
}

// DateTime appends an IMAP date-time, quoted: "02-Jan-2006 15:04:05 -0700"
// (Cyrus prints the day with two digits).
func (w *Writer) DateTime(t time.Time) *Writer {
	w.buf = append(w.buf, '"')
	w.buf = t.AppendFormat(w.buf, "02-Jan-2006 15:04:05 -0700")
	w.buf = append(w.buf, '"')
	return w
}
