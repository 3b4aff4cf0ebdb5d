package search

import (
	"bytes"
	"strings"

	"gyrus/lib/charset"
)

// baseSubject is index_extract_subject(): RFC 5256's base subject as
// Cyrus 3.6.1 computes it from the cached SUBJECT item. The item is
// already decoded, but Cyrus decodes it again with
// charset_parse_mimeheader (so 8-bit text becomes U+FFFD unless
// rfc2047_utf8), strips re/fwd/blob prefixes and (fwd) trailers,
// unwraps "[fwd: ...]", and upper-cases ASCII letters. It also counts
// the re/fwd markers (is_refwd).
func baseSubject(item []byte, flags charset.Flags) (string, int) {
	var raw []byte
	switch {
	case string(item) == "NIL":
		return "", 0
	case len(item) >= 2 && item[0] == '"':
		raw = item[1 : len(item)-1]
	default:
		i := bytes.IndexByte(item, '}')
		if i < 0 || i+3 > len(item) {
			return "", 0
		}
		raw = item[i+3:]
	}
	s := string(charset.DecodeHeader(raw, flags))
	refwd := 0
	for {
		base := extractSubject(s, &refwd)
		if len(base) >= 5 && strings.EqualFold(base[:5], "[fwd:") && base[len(base)-1] == ']' {
			refwd++
			s = base[5 : len(base)-1]
			continue
		}
		s = base
		break
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b), refwd
}

func cspace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// extractSubject is _index_extract_subject.
func extractSubject(s string, refwd *int) string {
	// trailer: white space and "(fwd)"
	for {
		switch {
		case len(s) > 0 && cspace(s[len(s)-1]):
			s = s[:len(s)-1]
			continue
		case len(s) >= 5 && strings.EqualFold(s[len(s)-5:], "(fwd)"):
			s = s[:len(s)-5]
			*refwd++
			continue
		}
		break
	}
	// leader: white space, "re"/"fwd"/"fw" [blob] ":", and [blob]s
	base := 0
	for base < len(s) {
		c := s[base]
		if cspace(c) {
			base++
			continue
		}
		x := -1
		switch {
		case hasPrefixFold(s[base:], "re"):
			x = base + 2
		case hasPrefixFold(s[base:], "fwd"):
			x = base + 3
		case hasPrefixFold(s[base:], "fw"):
			x = base + 2
		}
		if x >= 0 {
			count := 0
			for x < len(s) && cspace(s[x]) {
				x++
			}
			if x < len(s) && s[x] == '[' {
				x++
				closed := false
				for x < len(s) {
					if s[x] == ']' {
						closed = true
						break
					}
					if s[x] >= '0' && s[x] <= '9' && count != -1 {
						count = count*10 + int(s[x]-'0')
						if count > 0x7fffffff || count < 0 {
							count = -1
						}
					} else {
						count = -1
					}
					x++
				}
				if !closed {
					break
				}
				x++
			}
			for x < len(s) && cspace(s[x]) {
				x++
			}
			if x < len(s) && s[x] == ':' {
				base = x + 1
				if count > 0 {
					*refwd += count
				} else {
					*refwd++
				}
				continue
			}
			break
		}
		if c == '[' {
			j := strings.IndexAny(s[base+1:], "[]")
			if j >= 0 && s[base+1+j] == ']' {
				if base+2+j < len(s) {
					base = base + 2 + j
					continue
				}
			}
		}
		break
	}
	return s[base:]
}

func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
}
