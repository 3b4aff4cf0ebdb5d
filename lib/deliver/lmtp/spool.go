package lmtp

import (
	"bufio"
	"bytes"
	"strings"

	"gyrus/lib/deliver"
)

// This file is Cyrus 3.6.1's spool.c (parseheader, spool_fill_hdrcache,
// spool_copy_msg) and the header part of lmtpengine.c savemsg: how the
// dot-stuffed DATA stream becomes the message file. Every quirk is kept,
// because the file must be byte for byte what Cyrus stores:
//
//   - header fields are read one byte at a time; a bare CR or LF ends a
//     line like CRLF and is written as CRLF; a name is 1*ftext (33-57,
//     59-126), a field with a bad name, NUL or (reject8bit) an 8-bit
//     byte rejects the message; with munge8bit 8-bit value bytes become
//     'X'; Return-Path fields are dropped (lmtpd writes its own);
//   - dot-stuffing is not undone in the header (a header line cannot
//     start with a dot), ".CRLF" or ".LF" at the start of a field ends
//     the message;
//   - the body is read in pieces of at most 8189 bytes (prot_fgets with
//     an 8190-byte buffer): a bare LF at the end of a piece becomes CRLF,
//     lone CRs before the line's CRLF are removed, a leading dot is
//     removed, ".CRLF" (or ".LF") ends the message, and a piece with a
//     NUL rejects the message (it is still read to the end).

// ftext is RFC 5322's field-name character.
func ftext(c int) bool { return c >= 33 && c <= 57 || c >= 59 && c <= 126 }

// headerParser holds what parseheader needs across fields.
type headerParser struct {
	r          *reader
	w          *countWriter
	reject8bit bool
	munge8bit  bool
	skip       []string // fields not written (Return-Path)
	name, body []byte
	raw        []byte
}

// parseHeader reads one header field (Cyrus parseheader). It returns
// the field with done=false, or done=true at the end of the header (or
// at an error, code != 0, or at the end of input). The raw bytes are
// written in every case, as Cyrus does even on error.
func (p *headerParser) parseHeader() (h deliver.Header, done bool, code deliver.Code, bad bool) {
	const (
		nameStart = iota
		inName
		colon
		bodyStart
		inBody
	)
	p.name, p.body, p.raw = p.name[:0], p.body[:0], p.raw[:0]
	s := nameStart
	skipped := false
	r := p.r
	c := 0
	for {
		c = r.getc()
		if c < 0 {
			break
		}
		if c == 0 {
			code, bad = deliver.CodeMessageContainsNUL, true
			goto phError
		}
		switch s {
		case nameStart:
			if c == '.' {
				peek := r.getc()
				r.ungetc(peek)
				if peek == '\r' || peek == '\n' {
					goto phError // the end of the message
				}
			}
			if c == '\r' || c == '\n' {
				goto phError // the end of the header
			}
			if !ftext(c) {
				code, bad = deliver.CodeMessageBadHeader, true
				goto phError
			}
			p.name = append(p.name, byte(c))
			s = inName
		case inName:
			if c == ' ' || c == '\t' || c == ':' {
				skipped = false
				for _, sk := range p.skip {
					if strings.EqualFold(string(p.name), sk) {
						skipped = true
					}
				}
				if !skipped {
					p.raw = append(p.raw, p.name...)
				}
				if c == ':' {
					s = bodyStart
				} else {
					s = colon
				}
				break
			}
			if !ftext(c) {
				code, bad = deliver.CodeMessageBadHeader, true
				goto phError
			}
			p.name = append(p.name, byte(c))
		case colon:
			if c == ':' {
				s = bodyStart
			} else if c != ' ' && c != '\t' {
				for c == '.' {
					if !skipped {
						p.raw = append(p.raw, byte(c))
					}
					c = r.getc()
				}
				code, bad = deliver.CodeMessageBadHeader, true
				goto phError
			}
		case bodyStart, inBody:
			if s == bodyStart {
				if c == '\r' || c == '\n' {
					peek := r.getc()
					if !skipped {
						p.raw = append(p.raw, '\r', '\n')
					}
					if c == '\r' && peek == '\n' {
						c = r.getc()
					} else {
						c = peek
					}
					if c != ' ' && c != '\t' {
						r.ungetc(c)
						goto gotHeader
					}
				}
				if c == ' ' || c == '\t' {
					break
				}
				p.body = p.body[:0]
				s = inBody
			}
			if c == '\r' || c == '\n' {
				peek := r.getc()
				if !skipped {
					p.raw = append(p.raw, '\r', '\n')
				}
				if c == '\r' && peek == '\n' {
					c = r.getc()
				} else {
					c = peek
				}
				if c != ' ' && c != '\t' {
					r.ungetc(c)
					goto gotHeader
				}
			}
			if c >= 0x80 {
				if p.reject8bit {
					code, bad = deliver.CodeMessageContains8bit, true
					goto phError
				} else if p.munge8bit {
					c = 'X'
				}
			}
			p.body = append(p.body, byte(c))
		}
		if s != inName && !skipped {
			p.raw = append(p.raw, byte(c))
		}
	}
phError:
	p.w.Write(p.raw)
	r.ungetc(c)
	return deliver.Header{}, true, code, bad
gotHeader:
	p.w.Write(p.raw)
	return deliver.Header{Name: string(p.name), Body: string(p.body)}, false, 0, false
}

// copyBody is Cyrus's spool_copy_msg: the rest of the message up to the
// terminating dot line. ok false means the input ended first (Cyrus's
// IMAP_IOERROR); code/bad report a NUL; fatal is Cyrus's fatal "Trying
// to unput wrong character" (a CR right before a NUL inside a line),
// which ends the connection.
func copyBody(r *reader, w *countWriter) (code deliver.Code, bad, ok, fatal bool) {
	if r.line == nil {
		r.line = make([]byte, 8192)
	}
	buf := r.line
	for {
		line := r.fgets(buf[:0], 8190)
		if line == nil {
			return code, bad, false, false
		}
		raw := line
		if i := bytes.IndexByte(line, 0); i >= 0 {
			line = line[:i] // C string
		}
		n := len(line)
		switch {
		case n == 0:
			code, bad = deliver.CodeMessageContainsNUL, true
			continue
		case n == 1 && line[0] == '\r':
			// "\r" then NUL (or the input's end): Cyrus counts a NUL
			code, bad = deliver.CodeMessageContainsNUL, true
			continue
		case line[n-1] == '\r':
			// a CR at the end of a full piece: read it again next time
			if raw[len(raw)-1] != '\r' {
				return code, bad, false, true
			}
			r.ungetc('\r')
			line = line[:n-1]
		case line[n-1] == '\n' && (n == 1 || line[n-2] != '\r'):
			line = append(line[:n-1:n-1], '\r', '\n')
		case line[n-1] != '\n' && n < 8192-3:
			// shorter than a full piece without a newline: a NUL cut it
			code, bad = deliver.CodeMessageContainsNUL, true
			continue
		}
		line = removeLoneCR(line)
		if len(line) > 0 && line[0] == '.' {
			if len(line) >= 3 && line[1] == '\r' && line[2] == '\n' {
				return code, bad, true, false
			}
			w.Write(line[1:])
		} else {
			w.Write(line)
		}
	}
}

// removeLoneCR removes the CRs of a line up to the first CR that is
// followed by LF (Cyrus: while ((p = strchr(buf, '\r')) && p[1] != '\n')).
func removeLoneCR(b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '\r')
		if i < 0 || i+1 < len(b) && b[i+1] == '\n' {
			return b
		}
		b = append(b[:i], b[i+1:]...)
	}
}

// countWriter counts what is written and passes at most limit bytes on
// (a message over maxmessagesize is still read, but not kept); the
// first write error is kept and later writes are dropped.
type countWriter struct {
	w     *bufio.Writer
	n     int64
	limit int64
	err   error
}

func (c *countWriter) Write(b []byte) (int, error) {
	n := len(b)
	c.n += int64(n)
	if c.err != nil {
		return n, nil
	}
	if over := c.n - c.limit; over > 0 {
		if over >= int64(len(b)) {
			return n, nil
		}
		b = b[:int64(len(b))-over]
	}
	if _, err := c.w.Write(b); err != nil {
		c.err = err
	}
	return n, nil
}

func (c *countWriter) WriteString(s string) { c.Write([]byte(s)) }
