package imapwire

// Streaming FETCH responses (RFC 9051 7.5.2): one attribute at a time,
// bodies copied from an io.Reader of known length.

import (
	"io"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
)

// FetchWriter writes the attributes of one "* n FETCH (...)" response. It
// is reused by its Writer: finish one response (End) before starting the
// next. Writing attributes allocates nothing.
type FetchWriter struct {
	w     *Writer
	items int
}

// Fetch starts "* seq FETCH (".
func (w *Writer) Fetch(seq uint32) *FetchWriter {
	w.buf = append(w.buf, '*', ' ')
	w.buf = strconv.AppendUint(w.buf, uint64(seq), 10)
	w.buf = append(w.buf, " FETCH ("...)
	w.fw = FetchWriter{w: w}
	return &w.fw
}

// name writes the separator and an attribute name followed by a space.
func (f *FetchWriter) name(n string) *Writer {
	w := f.w
	if f.items > 0 {
		w.buf = append(w.buf, ' ')
	}
	f.items++
	w.buf = append(w.buf, n...)
	w.buf = append(w.buf, ' ')
	return w
}

// Flags writes "FLAGS (...)".
func (f *FetchWriter) Flags(flags []imap.Flag) *FetchWriter {
	f.name("FLAGS").Flags(flags)
	return f
}

// UID writes "UID n".
func (f *FetchWriter) UID(uid imap.UID) *FetchWriter {
	f.name("UID").Number(uint32(uid))
	return f
}

// RFC822Size writes "RFC822.SIZE n".
func (f *FetchWriter) RFC822Size(n int64) *FetchWriter {
	w := f.name("RFC822.SIZE")
	w.buf = strconv.AppendInt(w.buf, n, 10)
	return f
}

// Number writes "NAME n" for any numeric attribute (RFC822.FILESIZE,
// UIDVALIDITY, CREATEDMODSEQ...).
func (f *FetchWriter) Number(name string, n uint64) *FetchWriter {
	f.name(name).Number64(n)
	return f
}

// ModSeq writes "MODSEQ (n)" (RFC 7162 3.1.4.1).
func (f *FetchWriter) ModSeq(m uint64) *FetchWriter {
	w := f.name("MODSEQ")
	w.buf = append(w.buf, '(')
	w.buf = strconv.AppendUint(w.buf, m, 10)
	w.buf = append(w.buf, ')')
	return f
}

// InternalDate writes `INTERNALDATE "dd-Mon-yyyy hh:mm:ss +zzzz"`.
func (f *FetchWriter) InternalDate(t time.Time) *FetchWriter {
	f.name("INTERNALDATE").DateTime(t)
	return f
}

// Date writes a date-time attribute such as SAVEDATE or LASTUPDATED; a zero
// time is NIL (RFC 8514: SAVEDATE NIL when unknown).
func (f *FetchWriter) Date(name string, t time.Time) *FetchWriter {
	w := f.name(name)
	if t.IsZero() {
		w.Nil()
	} else {
		w.DateTime(t)
	}
	return f
}

// ObjectID writes "EMAILID (id)" or "THREADID (id)" (RFC 8474); an empty
// id is NIL (THREADID of a message without thread).
func (f *FetchWriter) ObjectID(name, id string) *FetchWriter {
	w := f.name(name)
	if id == "" {
		w.Nil()
		return f
	}
	w.buf = append(w.buf, '(')
	w.buf = append(w.buf, id...)
	w.buf = append(w.buf, ')')
	return f
}

// String writes "NAME string" (quoted or literal), or NIL when !ok
// (PREVIEW, DIGEST.SHA1, RFC822.SHA1...).
func (f *FetchWriter) String(name, s string, ok bool) *FetchWriter {
	f.name(name).NString(s, ok)
	return f
}

// Raw writes "NAME value" with value already in IMAP syntax: ENVELOPE and
// BODYSTRUCTURE come pre-rendered from cyrus.cache.
func (f *FetchWriter) Raw(name string, value []byte) *FetchWriter {
	f.name(name).Raw(value)
	return f
}

// Literal writes "NAME {size}\r\n<data>" copying size bytes from r, for
// RFC822, RFC822.HEADER, RFC822.TEXT or an already formatted section name.
func (f *FetchWriter) Literal(name string, size int64, r io.Reader) error {
	return f.name(name).Literal(size, r, false)
}

// Nil writes "NAME NIL" (e.g. a body section that does not exist).
func (f *FetchWriter) Nil(name string) *FetchWriter {
	f.name(name).Nil()
	return f
}

// BodySection writes "BODY[section]<origin> {size}\r\n<data>" (the section
// name as Cyrus echoes it, without PEEK), copying size bytes from r; a nil
// r writes NIL instead of a literal.
func (f *FetchWriter) BodySection(sec *imap.FetchItemBodySection, size int64, r io.Reader) error {
	w := f.w
	if f.items > 0 {
		w.buf = append(w.buf, ' ')
	}
	f.items++
	w.buf = AppendSectionName(w.buf, sec)
	w.buf = append(w.buf, ' ')
	if r == nil {
		w.Nil()
		return w.err
	}
	return w.Literal(size, r, false)
}

// BinarySection writes "BINARY[part]<origin>" and its data: a literal8 when
// binary (the decoded data holds NUL, RFC 3516 4.2), NIL when r is nil.
func (f *FetchWriter) BinarySection(sec *imap.FetchItemBinarySection, size int64, r io.Reader, binary bool) error {
	w := f.w
	if f.items > 0 {
		w.buf = append(w.buf, ' ')
	}
	f.items++
	w.buf = append(w.buf, "BINARY["...)
	w.buf = appendPart(w.buf, sec.Part)
	w.buf = append(w.buf, ']')
	if sec.Partial != nil {
		w.buf = appendOrigin(w.buf, sec.Partial.Offset)
	}
	w.buf = append(w.buf, ' ')
	if r == nil {
		w.Nil()
		return w.err
	}
	return w.Literal(size, r, binary)
}

// BinarySize writes "BINARY.SIZE[part] n".
func (f *FetchWriter) BinarySize(part []int, n int64) *FetchWriter {
	w := f.w
	if f.items > 0 {
		w.buf = append(w.buf, ' ')
	}
	f.items++
	w.buf = append(w.buf, "BINARY.SIZE["...)
	w.buf = appendPart(w.buf, part)
	w.buf = append(w.buf, "] "...)
	w.buf = strconv.AppendInt(w.buf, n, 10)
	return f
}

// End closes the response.
func (f *FetchWriter) End() {
	w := f.w
	w.buf = append(w.buf, ')', '\r', '\n')
	w.maybeWrite()
}

// AppendSectionName appends the response name of a BODY[] item as Cyrus
// writes it: "BODY[1.2.HEADER.FIELDS (From To)]<10>".
func AppendSectionName(b []byte, sec *imap.FetchItemBodySection) []byte {
	b = append(b, "BODY["...)
	b = appendPart(b, sec.Part)
	if sec.Specifier != imap.PartSpecifierNone {
		if len(sec.Part) > 0 {
			b = append(b, '.')
		}
		b = append(b, sec.Specifier...)
		var fields []string
		switch {
		case sec.HeaderFields != nil:
			b = append(b, ".FIELDS"...)
			fields = sec.HeaderFields
		case sec.HeaderFieldsNot != nil:
			b = append(b, ".FIELDS.NOT"...)
			fields = sec.HeaderFieldsNot
		}
		if fields != nil {
			b = append(b, " ("...)
			for i, f := range fields {
				if i > 0 {
					b = append(b, ' ')
				}
				b = append(b, f...)
			}
			b = append(b, ')')
		}
	}
	b = append(b, ']')
	if sec.Partial != nil {
		b = appendOrigin(b, sec.Partial.Offset)
	}
	return b
}

func appendPart(b []byte, part []int) []byte {
	for i, n := range part {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return b
}

func appendOrigin(b []byte, off int64) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, off, 10)
	return append(b, '>')
}
