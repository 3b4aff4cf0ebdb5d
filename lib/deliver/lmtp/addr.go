package lmtp

// Address parsing as Cyrus 3.6.1's lmtpengine.c does it (parseaddr,
// parseautheq, clean_retpath): a strict reading of RFC 5321 paths with
// Cyrus's own leniencies, kept so that the same MAIL and RCPT lines are
// accepted and refused.

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// parseAddr reads a path "<...>" at the start of s (Cyrus parseaddr): an
// optional source route "@a,@b:", a local part (quoted, or atoms without
// controls, spaces, 8-bit bytes and "<>()[]\,;:\""), an optional
// "@domain" or "@[1.2.3.4]", then ">" followed by the end or a space.
// Without lmtp_strict_rfc2821 an 8-bit byte of an unquoted local part
// becomes 'X' (so that Cyrus never bounces to an address it cannot
// represent). It returns the path as accepted and ok.
func parseAddr(s string, strict bool) (string, bool) {
	b := []byte(s)
	at := func(i int) byte {
		if i < len(b) {
			return b[i]
		}
		return 0
	}
	p := 0
	if at(p) != '<' {
		return "", false
	}
	p++
	for at(p) == '@' {
		p++
		if at(p) == '[' {
			p++
			for isDigit(at(p)) || at(p) == '.' {
				p++
			}
			if at(p) != ']' {
				return "", false
			}
			p++
		} else {
			for isAlnum(at(p)) || at(p) == '.' || at(p) == '-' {
				p++
			}
		}
		switch {
		case at(p) == ',' && at(p+1) == '@':
			p++
		case at(p) == ':' && at(p+1) != '@':
			p++
		default:
			return "", false
		}
	}
	if at(p) == '"' {
		p++
		for at(p) != 0 && at(p) != '"' {
			if at(p) == '\\' {
				p++
				if at(p) == 0 {
					return "", false
				}
			}
			p++
		}
		if at(p) == 0 {
			return "", false
		}
		p++
	} else {
		for at(p) != 0 && at(p) != '@' && at(p) != '>' {
			if at(p) == '\\' {
				p++
				if at(p) == 0 {
					return "", false
				}
			} else {
				if at(p)&0x80 != 0 && !strict {
					b[p] = 'X'
				}
				c := at(p)
				if c <= ' ' || c&0x80 != 0 || isSpecial(c) {
					return "", false
				}
			}
			p++
		}
	}
	if at(p) == '@' {
		p++
		if at(p) == '[' {
			p++
			for isDigit(at(p)) || at(p) == '.' {
				p++
			}
			if at(p) != ']' {
				return "", false
			}
			p++
		} else {
			for isAlnum(at(p)) || at(p) == '.' || at(p) == '-' {
				p++
			}
		}
	}
	if at(p) != '>' {
		return "", false
	}
	p++
	if at(p) != 0 && at(p) != ' ' {
		return "", false
	}
	return string(b[:p]), true
}

func isSpecial(c byte) bool {
	switch c {
	case '<', '>', '(', ')', '[', ']', '\\', ',', ';', ':', '"':
		return true
	}
	return false
}

// parseAuthEq reads the value of MAIL FROM's AUTH= parameter (Cyrus
// parseautheq): "<>" is no identity; otherwise printable ASCII without
// '+' and '=', "+XX" hex escapes, an optional pair of angle brackets.
// Like Cyrus, the escapes decode to a NUL byte (its decoder ANDs instead
// of ORing the nibbles), which ends the identity there. It returns the
// identity (set false for none) and the number of bytes consumed; ok is
// false when the value does not end at a space or the line's end.
func parseAuthEq(s string) (id string, set bool, n int) {
	if len(s) >= 2 && s[:2] == "<>" {
		return "", false, 2
	}
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	var out []byte
	p := 0
	if at(p) == '<' {
		p++
	}
	for {
		c := at(p)
		if c == '+' {
			p++
			for lup := 0; lup < 2; lup++ {
				h := at(p)
				if !(isDigit(h) || 'A' <= h && h <= 'F') {
					return "", false, p
				}
				if lup == 0 {
					p++
				}
			}
			out = append(out, 0)
		} else if c >= '!' && c <= '~' && c != '+' && c != '=' {
			out = append(out, c)
		} else {
			break
		}
		p++
	}
	if at(p) != 0 && at(p) != ' ' {
		return "", false, p
	}
	if len(out) > 0 && out[len(out)-1] == '>' {
		out = out[:len(out)-1]
	}
	for i, c := range out {
		if c == 0 {
			out = out[:i]
			break
		}
	}
	return string(out), true, p
}

// cleanRetPath removes the angle brackets around a return path (Cyrus
// clean_retpath).
func cleanRetPath(s string) string {
	if len(s) > 0 && s[0] == '<' {
		s = s[1:]
		if len(s) > 0 && s[len(s)-1] == '>' {
			s = s[:len(s)-1]
		}
	}
	return s
}
