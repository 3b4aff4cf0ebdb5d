package dlist

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
)

// maxQuoted is Cyrus's MAXQSTRING: strings of this length or longer are
// never printed as atoms or quoted strings.
const maxQuoted = 1024

// isAtomByte reports whether b may appear in a printed atom (Cyrus
// imparse_isatom): not below 0x1F, not DEL, not 8-bit, not SP { ( ) " % * \.
// 0x1F itself is allowed, which is why mailboxes.db names (0x1F-separated)
// print as atoms.
func isAtomByte(b byte) bool {
	if b < 0x1f || b >= 0x7f {
		return false
	}
	switch b {
	case ' ', '{', '(', ')', '"', '%', '*', '\\':
		return false
	}
	return true
}

// isQuotedByte reports whether b may appear in a printed quoted string
// (Cyrus isQCHAR plus the NUL rule of prot_printmap).
func isQuotedByte(b byte) bool {
	switch {
	case b == 0, b >= 0x80, b == '\r', b == '\n', b == '"', b == '%', b == '\\':
		return false
	}
	return true
}

// IsAtom reports whether s would be printed bare.
func IsAtom(s string) bool {
	if s == "" || len(s) >= maxQuoted || s == "NIL" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAtomByte(s[i]) {
			return false
		}
	}
	return true
}

func isQuotable(s string) bool {
	if len(s) >= maxQuoted {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isQuotedByte(s[i]) {
			return false
		}
	}
	return true
}

// AppendString appends s as Cyrus's prot_printastring would print it
// (with the DL_BUF rule that an embedded NUL forces a literal). client
// selects the non-synchronising literal form {n+}.
func AppendString(dst []byte, s string, client bool) []byte {
	switch {
	case s == "":
		return append(dst, '"', '"')
	case IsAtom(s):
		return append(dst, s...)
	case isQuotable(s):
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	return appendLiteral(dst, s, client)
}

func appendLiteral(dst []byte, s string, client bool) []byte {
	dst = append(dst, '{')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	if client {
		dst = append(dst, '+')
	}
	dst = append(dst, "}\r\n"...)
	return append(dst, s...)
}

// Append appends the dlist form of v to dst, as the server side of Cyrus
// prints it (literals as {n}). withKey prints v.Name and a space first.
// File values are read from disk (see Encoder); a file that cannot be read
// or does not match its size and GUID is printed as NIL.
func Append(dst []byte, v *Value, withKey bool) []byte {
	if out, ok := appendTree(dst, v, withKey, 0); ok {
		return out
	}
	// The tree holds a file: stream it through an Encoder.
	var buf bytes.Buffer
	buf.Write(dst)
	e := NewEncoder(&buf)
	_ = e.Encode(v, withKey) // a bytes.Buffer does not fail
	return buf.Bytes()
}

// appendTree prints a tree without files; ok is false (and dst must be
// discarded) when it meets a File or a tree too deep or malformed.
func appendTree(dst []byte, v *Value, withKey bool, depth int) ([]byte, bool) {
	if v == nil || depth > 1000 {
		return dst, false
	}
	if withKey {
		dst = AppendString(dst, v.Name, false)
		dst = append(dst, ' ')
	}
	switch v.Kind {
	case Nil:
		return append(dst, "NIL"...), true
	case String:
		return AppendString(dst, v.Str, false), true
	case Flag:
		return append(dst, v.Str...), true
	case Num:
		return strconv.AppendUint(dst, v.Num, 10), true
	case Hex:
		return fmt.Appendf(dst, "%016x", v.Num), true
	case GUID:
		return hex.AppendEncode(dst, v.GUID[:]), true
	case List, KVList:
		keys := v.PrintKeys
		if v.Kind == KVList {
			dst, keys = append(dst, '%'), true
		}
		dst = append(dst, '(')
		for i, c := range v.Items {
			if i > 0 {
				dst = append(dst, ' ')
			}
			var ok bool
			if dst, ok = appendTree(dst, c, keys, depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, ')'), true
	}
	return dst, false
}

// Bytes is Append(nil, v, false).
func (v *Value) Bytes() []byte { return Append(nil, v, false) }

// Encoder writes dlist values to a stream.
type Encoder struct {
	w *bufio.Writer
	// Client makes literals non-synchronising ({n+}), as Cyrus does on a
	// client-side protstream (sync_client).
	Client bool
	// OnFileError, when set, is told why a File value was printed as NIL.
	OnFileError func(v *Value, err error)
	scratch     []byte
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriter(w)
	}
	return &Encoder{w: bw}
}

// Encode writes v (and its key first when withKey) and flushes.
func (e *Encoder) Encode(v *Value, withKey bool) error {
	if err := e.encode(v, withKey, 0); err != nil {
		return err
	}
	return e.w.Flush()
}

func (e *Encoder) put(b []byte) error {
	_, err := e.w.Write(b)
	return err
}

func (e *Encoder) putString(s string) error {
	e.scratch = AppendString(e.scratch[:0], s, e.Client)
	return e.put(e.scratch)
}

func (e *Encoder) encode(v *Value, withKey bool, depth int) error {
	if v == nil {
		return fmt.Errorf("dlist: encode nil value")
	}
	if depth > 1000 {
		return fmt.Errorf("dlist: encode: tree deeper than 1000")
	}
	if withKey {
		if err := e.putString(v.Name); err != nil {
			return err
		}
		if err := e.w.WriteByte(' '); err != nil {
			return err
		}
	}
	s := e.scratch[:0]
	switch v.Kind {
	case Nil:
		s = append(s, "NIL"...)
	case String:
		return e.putString(v.Str)
	case Flag:
		s = append(s, v.Str...)
	case Num:
		s = strconv.AppendUint(s, v.Num, 10)
	case Hex:
		s = fmt.Appendf(s, "%016x", v.Num)
	case GUID:
		s = hex.AppendEncode(s, v.GUID[:])
	case File:
		return e.encodeFile(v)
	case List, KVList:
		open := "("
		keys := v.PrintKeys
		if v.Kind == KVList {
			open, keys = "%(", true
		}
		if _, err := e.w.WriteString(open); err != nil {
			return err
		}
		for i, c := range v.Items {
			if i > 0 {
				if err := e.w.WriteByte(' '); err != nil {
					return err
				}
			}
			if err := e.encode(c, keys, depth+1); err != nil {
				return err
			}
		}
		return e.w.WriteByte(')')
	default:
		return fmt.Errorf("dlist: encode: unknown kind %d", v.Kind)
	}
	e.scratch = s
	return e.put(s)
}

// encodeFile writes "%{partition guid size}\r\n" and the file's bytes,
// after checking, as Cyrus's printfile does, that the file at v.Str has
// the announced size and SHA-1; otherwise it writes NIL.
func (e *Encoder) encodeFile(v *Value) error {
	fail := func(err error) error {
		if e.OnFileError != nil {
			e.OnFileError(v, err)
		}
		_, werr := e.w.WriteString("NIL")
		return werr
	}
	f, err := os.Open(v.Str)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if uint64(st.Size()) != v.Num {
		return fail(fmt.Errorf("dlist: file %s: size %d, expected %d", v.Str, st.Size(), v.Num))
	}
	h := sha1.New()
	if _, err := io.Copy(h, f); err != nil {
		return fail(fmt.Errorf("dlist: file %s: %w", v.Str, err))
	}
	var sum [20]byte
	h.Sum(sum[:0])
	if sum != v.GUID {
		return fail(fmt.Errorf("dlist: file %s: GUID %x, expected %x", v.Str, sum, v.GUID))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("dlist: file %s: %w", v.Str, err))
	}
	s := append(e.scratch[:0], "%{"...)
	s = AppendString(s, v.Partition, e.Client)
	s = append(s, ' ')
	s = hex.AppendEncode(s, v.GUID[:])
	s = append(s, ' ')
	s = strconv.AppendUint(s, v.Num, 10)
	s = append(s, "}\r\n"...)
	e.scratch = s
	if err := e.put(s); err != nil {
		return err
	}
	n, err := io.Copy(e.w, f)
	if err != nil {
		return fmt.Errorf("dlist: file %s: %w", v.Str, err)
	}
	if uint64(n) != v.Num {
		// The file shrank between the check and the copy: the stream is
		// now out of step and cannot be repaired.
		return fmt.Errorf("dlist: file %s changed while being sent", v.Str)
	}
	return nil
}
