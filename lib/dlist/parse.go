package dlist

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Limits bound what one Decode may take from its input. Each is checked
// before memory is allocated for the item it limits. Zero fields take the
// defaults below.
type Limits struct {
	MaxDepth   int   // nesting of lists and kvlists (default 64)
	MaxLiteral int64 // bytes of one {n} literal (default 64 MiB)
	MaxString  int   // bytes of one atom or quoted string (default 1 MiB)
	MaxTotal   int64 // bytes of input consumed by one Decode, file bodies excepted (default 256 MiB)
}

// Default limits.
const (
	DefaultMaxDepth   = 64
	DefaultMaxLiteral = 64 << 20
	DefaultMaxString  = 1 << 20
	DefaultMaxTotal   = 256 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxLiteral <= 0 {
		l.MaxLiteral = DefaultMaxLiteral
	}
	if l.MaxString <= 0 {
		l.MaxString = DefaultMaxString
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = DefaultMaxTotal
	}
	return l
}

// ErrLimit is wrapped by the errors returned when input exceeds Limits.
var ErrLimit = errors.New("dlist: limit exceeded")

// ErrNoFileHook is returned when a %{...} file form arrives and the
// Decoder has no FileHook. The body has not been read, so a stream is out
// of step afterwards and should be dropped.
var ErrNoFileHook = errors.New("dlist: file literal not accepted here")

// SyntaxError reports malformed input and the byte offset where it was
// noticed (counted from the start of the Decode call).
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("dlist: syntax error at byte %d: %s", e.Offset, e.Msg)
}

// FileHook receives the body of a "%{partition guid size}" file form. It
// must read the message from body (at most size bytes; whatever it leaves
// is skipped by the Decoder) and return the local path where it stored
// it; that path becomes the File value's Str. Returning an error fails the
// Decode, after the body has been consumed so that the stream stays in
// step (as Cyrus's reservefile does).
type FileHook func(partition string, guid [20]byte, size uint64, body io.Reader) (path string, err error)

// LiteralHook is called after a literal's "{n}" or "{n+}" header has been
// read and checked against the limits, before its bytes are read. A
// server answers "+ go ahead" to a synchronising literal (nonSync false)
// from here.
type LiteralHook func(size int64, nonSync bool) error

type source interface {
	io.Reader
	io.ByteScanner
}

// Decoder reads dlist values from a stream.
type Decoder struct {
	r           source
	Limits      Limits
	FileHook    FileHook
	LiteralHook LiteralHook

	lim     Limits
	off     int64 // bytes consumed in this Decode
	scratch []byte
}

// NewDecoder returns a Decoder reading from r. If r is not already a
// byte scanner (bufio.Reader, bytes.Reader...), it is wrapped in a
// bufio.Reader, which may read ahead of the values decoded.
func NewDecoder(r io.Reader) *Decoder {
	s, ok := r.(source)
	if !ok {
		s = bufio.NewReader(r)
	}
	return &Decoder{r: s}
}

// Reader returns the stream the Decoder reads, positioned just after the
// last value decoded: the caller reads the rest of the line from it.
func (d *Decoder) Reader() io.ByteScanner { return d.r }

// Parse parses data, which must hold exactly one value and nothing else
// (the rule Cyrus applies to mailboxes.db values and cyrus.header).
func Parse(data []byte) (*Value, error) {
	return parseAll(data, false)
}

// ParseWithKey is Parse for a value preceded by its key ("NAME value").
func ParseWithKey(data []byte) (*Value, error) {
	return parseAll(data, true)
}

func parseAll(data []byte, withKey bool) (*Value, error) {
	d := NewDecoder(bytes.NewReader(data))
	v, err := d.Decode(withKey)
	if err != nil {
		return nil, err
	}
	if d.off != int64(len(data)) {
		return nil, &SyntaxError{d.off, "trailing bytes after value"}
	}
	return v, nil
}

// Decode reads one value (after its key when withKey) and returns it. The
// byte that ends the value (a space, CR, ')' ...) is left unread. Syntax
// follows Cyrus 3.6.1's dlist_parse: whitespace between items is lenient,
// atoms end at whitespace, parentheses or a double quote, quoted strings
// honour backslash escapes, NIL is the nil value, a value starting with a
// backslash is a flag.
func (d *Decoder) Decode(withKey bool) (*Value, error) {
	d.lim = d.Limits.withDefaults()
	d.off = 0
	return d.value(withKey, 0)
}

func (d *Decoder) syntax(format string, args ...any) error {
	return &SyntaxError{d.off, fmt.Sprintf(format, args...)}
}

func (d *Decoder) readByte() (byte, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		if err == io.EOF {
			return 0, d.syntax("unexpected end of input")
		}
		return 0, fmt.Errorf("dlist: read: %w", err)
	}
	d.off++
	if d.off > d.lim.MaxTotal {
		return 0, fmt.Errorf("%w: more than %d bytes of input", ErrLimit, d.lim.MaxTotal)
	}
	return b, nil
}

// peek returns the next byte without consuming it; ok is false at EOF.
func (d *Decoder) peek() (byte, bool, error) {
	b, err := d.r.ReadByte()
	if err == io.EOF {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("dlist: read: %w", err)
	}
	if err := d.r.UnreadByte(); err != nil {
		return 0, false, fmt.Errorf("dlist: unread: %w", err)
	}
	return b, true, nil
}

func isSpace(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// skipSpace consumes whitespace and returns the next byte (unconsumed).
func (d *Decoder) skipSpace() (byte, error) {
	for {
		b, ok, err := d.peek()
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, d.syntax("unexpected end of input")
		}
		if !isSpace(b) {
			return b, nil
		}
		if _, err := d.readByte(); err != nil {
			return 0, err
		}
	}
}

func (d *Decoder) value(withKey bool, depth int) (*Value, error) {
	var name string
	if withKey {
		k, err := d.astring(false)
		if err != nil {
			return nil, err
		}
		if strings.IndexByte(k, 0) >= 0 {
			return nil, d.syntax("NUL byte in a key")
		}
		name = k
		if _, err := d.skipSpace(); err != nil {
			return nil, err
		}
	}
	b, ok, err := d.peek()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, d.syntax("unexpected end of input")
	}
	switch b {
	case '(':
		d.readByte()
		return d.items(&Value{Kind: List, Name: name}, false, depth)
	case '%':
		d.readByte()
		c, err := d.readByte()
		if err != nil {
			return nil, err
		}
		switch c {
		case '(':
			return d.items(&Value{Kind: KVList, Name: name}, true, depth)
		case '{':
			v, err := d.file()
			if v != nil {
				v.Name = name
			}
			return v, err
		}
		return nil, d.syntax("unknown %%%q form", c)
	case '{':
		s, err := d.literal(true)
		if err != nil {
			return nil, err
		}
		return &Value{Kind: String, Name: name, Str: s}, nil
	case '\\':
		s, err := d.atom()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: Flag, Name: name, Str: s}, nil
	case '"':
		s, err := d.quoted()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: String, Name: name, Str: s}, nil
	case ')', ' ', '\r', '\n':
		return nil, d.syntax("expected a value, got %q", b)
	}
	s, err := d.atom()
	if err != nil {
		return nil, err
	}
	if s == "NIL" {
		return &Value{Kind: Nil, Name: name}, nil
	}
	return &Value{Kind: String, Name: name, Str: s}, nil
}

// items reads the children of a list or kvlist up to and including ')'.
func (d *Decoder) items(v *Value, keys bool, depth int) (*Value, error) {
	if depth+1 > d.lim.MaxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d at byte %d", ErrLimit, d.lim.MaxDepth, d.off)
	}
	for {
		b, err := d.skipSpace()
		if err != nil {
			return nil, err
		}
		if b == ')' {
			d.readByte()
			return v, nil
		}
		c, err := d.value(keys, depth+1)
		if err != nil {
			return nil, err
		}
		v.Items = append(v.Items, c)
	}
}

// astring reads an atom, quoted string or literal (a key, a partition
// name). binary allows NUL bytes in a literal.
func (d *Decoder) astring(binary bool) (string, error) {
	b, ok, err := d.peek()
	if err != nil {
		return "", err
	}
	if !ok {
		return "", d.syntax("unexpected end of input")
	}
	switch b {
	case '"':
		return d.quoted()
	case '{':
		return d.literal(binary)
	case ' ', '(', ')', '\r', '\n':
		return "", d.syntax("expected a string, got %q", b)
	}
	return d.atom()
}

// atom reads bytes up to whitespace, a parenthesis, a double quote or the
// end of input (Cyrus's liberal getxstring atom rule).
func (d *Decoder) atom() (string, error) {
	buf := d.scratch[:0]
	for {
		b, err := d.r.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("dlist: read: %w", err)
		}
		if isSpace(b) || b == '(' || b == ')' || b == '"' {
			if err := d.r.UnreadByte(); err != nil {
				return "", fmt.Errorf("dlist: unread: %w", err)
			}
			break
		}
		if len(buf) >= d.lim.MaxString {
			return "", fmt.Errorf("%w: atom longer than %d bytes at byte %d", ErrLimit, d.lim.MaxString, d.off)
		}
		d.off++
		if d.off > d.lim.MaxTotal {
			return "", fmt.Errorf("%w: more than %d bytes of input", ErrLimit, d.lim.MaxTotal)
		}
		buf = append(buf, b)
	}
	d.scratch = buf
	if len(buf) == 0 {
		return "", d.syntax("empty atom")
	}
	return string(buf), nil
}

// quoted reads "..." where a backslash makes the next byte literal.
func (d *Decoder) quoted() (string, error) {
	if _, err := d.readByte(); err != nil { // the opening quote
		return "", err
	}
	buf := d.scratch[:0]
	for {
		b, err := d.readByte()
		if err != nil {
			return "", err
		}
		switch b {
		case '"':
			d.scratch = buf
			return string(buf), nil
		case '\\':
			if b, err = d.readByte(); err != nil {
				return "", err
			}
		case '\r', '\n':
			return "", d.syntax("line break inside a quoted string")
		}
		if len(buf) >= d.lim.MaxString {
			return "", fmt.Errorf("%w: quoted string longer than %d bytes at byte %d", ErrLimit, d.lim.MaxString, d.off)
		}
		buf = append(buf, b)
	}
}

// literal reads {n}CRLF or {n+}CRLF and n bytes.
func (d *Decoder) literal(binary bool) (string, error) {
	if _, err := d.readByte(); err != nil { // '{'
		return "", err
	}
	n, b, err := d.number(math.MaxInt32)
	if err != nil {
		return "", err
	}
	nonSync := false
	if b == '+' {
		nonSync = true
		if b, err = d.readByte(); err != nil {
			return "", err
		}
	}
	if b != '}' {
		return "", d.syntax("bad literal header")
	}
	if c, err := d.readByte(); err != nil || c != '\r' {
		return "", d.syntax("literal header not followed by CRLF")
	}
	if c, err := d.readByte(); err != nil || c != '\n' {
		return "", d.syntax("literal header not followed by CRLF")
	}
	if int64(n) > d.lim.MaxLiteral {
		return "", fmt.Errorf("%w: literal of %d bytes (max %d)", ErrLimit, n, d.lim.MaxLiteral)
	}
	if d.off+int64(n) > d.lim.MaxTotal {
		return "", fmt.Errorf("%w: more than %d bytes of input", ErrLimit, d.lim.MaxTotal)
	}
	if d.LiteralHook != nil {
		if err := d.LiteralHook(int64(n), nonSync); err != nil {
			return "", err
		}
	}
	// Read in chunks so memory grows with the bytes that really arrive.
	var out bytes.Buffer
	out.Grow(int(min(n, 64<<10)))
	got, err := io.CopyN(&out, d.r, int64(n))
	d.off += got
	if err != nil {
		if err == io.EOF {
			return "", d.syntax("literal cut short: %d of %d bytes", got, n)
		}
		return "", fmt.Errorf("dlist: read literal: %w", err)
	}
	if !binary && bytes.IndexByte(out.Bytes(), 0) >= 0 {
		return "", d.syntax("NUL byte in a literal")
	}
	return out.String(), nil
}

// number reads decimal digits (at least one) not above max and returns
// the byte that follows them (consumed).
func (d *Decoder) number(max uint64) (uint64, byte, error) {
	var n uint64
	digits := 0
	for {
		b, err := d.readByte()
		if err != nil {
			return 0, 0, err
		}
		if b < '0' || b > '9' {
			if digits == 0 {
				return 0, 0, d.syntax("expected a number")
			}
			return n, b, nil
		}
		n = n*10 + uint64(b-'0')
		digits++
		if n > max {
			return 0, 0, fmt.Errorf("%w: number above %d at byte %d", ErrLimit, max, d.off)
		}
	}
}

// file reads the rest of "%{partition guid size}" CRLF and the body,
// which it hands to the FileHook.
func (d *Decoder) file() (*Value, error) {
	part, err := d.astring(false)
	if err != nil {
		return nil, err
	}
	if b, err := d.readByte(); err != nil || b != ' ' {
		return nil, d.syntax("bad file header after partition")
	}
	g, err := d.astring(false)
	if err != nil {
		return nil, err
	}
	if b, err := d.readByte(); err != nil || b != ' ' {
		return nil, d.syntax("bad file header after guid")
	}
	size, b, err := d.number(math.MaxUint32)
	if err != nil {
		return nil, err
	}
	if b != '}' {
		return nil, d.syntax("bad file header after size")
	}
	b, err = d.readByte()
	if err != nil {
		return nil, err
	}
	if b == '\r' {
		if b, err = d.readByte(); err != nil {
			return nil, err
		}
	}
	if b != '\n' {
		return nil, d.syntax("file header not followed by a line end")
	}
	var guid [20]byte
	if len(g) != 40 {
		return nil, d.syntax("bad file GUID %q", g)
	}
	if _, err := hex.Decode(guid[:], []byte(g)); err != nil {
		return nil, d.syntax("bad file GUID %q", g)
	}
	if d.FileHook == nil {
		return nil, ErrNoFileHook
	}
	body := &io.LimitedReader{R: d.r, N: int64(size)}
	path, herr := d.FileHook(part, guid, size, body)
	// Skip what the hook left so the stream stays in step.
	if _, err := io.Copy(io.Discard, body); err != nil {
		return nil, fmt.Errorf("dlist: read file body: %w", err)
	}
	if body.N > 0 {
		return nil, d.syntax("file body cut short: %d bytes missing", body.N)
	}
	if herr != nil {
		return nil, fmt.Errorf("dlist: store file %x: %w", guid, herr)
	}
	return &Value{Kind: File, Partition: part, GUID: guid, Num: size, Str: path}, nil
}
