package mboxname

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Modified UTF-7 (RFC 3501 §5.1.3): mailbox names travel as 7-bit ASCII
// with non-ASCII runs written "&<modified base64 of UTF-16BE>-" and '&'
// itself as "&-". Cyrus stores names in this form, so an IMAP4rev2 or
// UTF8=ACCEPT client's UTF-8 names are converted on the way in and out.

const mod64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"

var mod64 [256]int8

func init() {
	for i := range mod64 {
		mod64[i] = -1
	}
	for i := 0; i < len(mod64Alphabet); i++ {
		mod64[mod64Alphabet[i]] = int8(i)
	}
}

// ErrBadUTF7 is returned for malformed modified UTF-7.
var ErrBadUTF7 = errors.New("malformed modified UTF-7")

// DecodeUTF7 converts a modified UTF-7 name to UTF-8. It is strict: the
// base64 must be complete, its padding bits zero, it must not encode
// printable ASCII, surrogates must pair, runs must end with '-', and two
// encoded runs may not touch (RFC 3501 and Cyrus's own rules). Bytes
// outside 0x20..0x7e are refused.
func DecodeUTF7(s string) (string, error) {
	if strings.IndexByte(s, '&') < 0 {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				return "", ErrBadUTF7
			}
		}
		return s, nil
	}
	var b strings.Builder
	prevRun := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", ErrBadUTF7
		}
		if c != '&' {
			b.WriteByte(c)
			prevRun = false
			i++
			continue
		}
		j := strings.IndexByte(s[i+1:], '-')
		if j < 0 {
			return "", ErrBadUTF7
		}
		run := s[i+1 : i+1+j]
		i += j + 2
		if run == "" {
			b.WriteByte('&')
			prevRun = false
			continue
		}
		if prevRun {
			return "", ErrBadUTF7
		}
		prevRun = true
		var bits, nbits uint32
		var units []uint16
		for k := 0; k < len(run); k++ {
			v := mod64[run[k]]
			if v < 0 {
				return "", ErrBadUTF7
			}
			bits = bits<<6 | uint32(v)
			nbits += 6
			if nbits >= 16 {
				nbits -= 16
				units = append(units, uint16(bits>>nbits))
				bits &= 1<<nbits - 1
			}
		}
		if nbits >= 6 || bits != 0 {
			return "", ErrBadUTF7
		}
		for k := 0; k < len(units); k++ {
			u := units[k]
			var r rune
			switch {
			case utf16.IsSurrogate(rune(u)):
				if u >= 0xdc00 || k+1 >= len(units) || units[k+1] < 0xdc00 || units[k+1] > 0xdfff {
					return "", ErrBadUTF7
				}
				r = utf16.DecodeRune(rune(u), rune(units[k+1]))
				k++
			default:
				r = rune(u)
			}
			if r >= 0x20 && r <= 0x7e {
				return "", ErrBadUTF7 // printable ASCII must not be encoded
			}
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}

// EncodeUTF7 converts a UTF-8 name to modified UTF-7. Invalid UTF-8
// bytes are refused.
func EncodeUTF7(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errors.New("name is not valid UTF-8")
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c <= 0x7e {
			if c == '&' {
				b.WriteString("&-")
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		// Collect the run of characters that need encoding.
		var units []uint16
		for i < len(s) && (s[i] < 0x20 || s[i] > 0x7e) {
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			units = utf16.AppendRune(units, r)
		}
		b.WriteByte('&')
		var bits, nbits uint32
		for _, u := range units {
			bits = bits<<16 | uint32(u)
			nbits += 16
			for nbits >= 6 {
				nbits -= 6
				b.WriteByte(mod64Alphabet[(bits>>nbits)&0x3f])
			}
		}
		if nbits > 0 {
			b.WriteByte(mod64Alphabet[(bits<<(6-nbits))&0x3f])
		}
		b.WriteByte('-')
	}
	return b.String(), nil
}

// ParseExternalUTF8 is ParseExternal for a client that sends UTF-8 names
// (IMAP4rev2, UTF8=ACCEPT): the name is converted to the modified UTF-7
// Cyrus stores, so both kinds of client reach the same mailbox. Invalid
// UTF-8 is ErrBadName.
func (ns *Namespace) ParseExternalUTF8(ext string, v Viewer) (Name, error) {
	enc, err := EncodeUTF7(ext)
	if err != nil {
		return Name{}, fmt.Errorf("%q: %v: %w", ext, err, ErrBadName)
	}
	return ns.ParseExternal(enc, v)
}

// ExternalUTF8 is External for a UTF-8 client: the modified UTF-7 runs
// are decoded. A stored name that is not valid modified UTF-7 (Cyrus
// accepts a few, such as lone surrogates) is returned unchanged.
func (ns *Namespace) ExternalUTF8(n Name, v Viewer) (string, bool) {
	ext, ok := ns.External(n, v)
	if !ok {
		return "", false
	}
	if dec, err := DecodeUTF7(ext); err == nil {
		return dec, true
	}
	return ext, true
}
