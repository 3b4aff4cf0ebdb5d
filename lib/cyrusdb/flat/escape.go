package flat

const esc = 0xFF

// encode escapes NUL, TAB, CR, LF and 0xFF (Cyrus lib/cyrusdb_flat.c).
func encode(dst, s []byte) []byte {
	for _, c := range s {
		switch c {
		case 0, '\t', '\r', '\n':
			dst = append(dst, esc, 0x80|c)
		case esc:
			dst = append(dst, esc, esc)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// decode undoes encode. Like Cyrus, an escape byte at the very end is
// dropped, and FF x gives x&^0x80 for any x other than FF.
func decode(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == esc {
			if i+1 >= len(s) {
				break
			}
			i++
			if s[i] == esc {
				dst = append(dst, esc)
			} else {
				dst = append(dst, s[i]&^0x80)
			}
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
