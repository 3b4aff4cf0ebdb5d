package sasl

// DecodeStatus is what libsasl's sasl_decode64 says of a string.
type DecodeStatus int

const (
	DecodeOK         DecodeStatus = iota
	DecodeBad                     // SASL_BADPROT: not base64
	DecodeFail                    // SASL_FAIL: starts with CR
	DecodeIncomplete              // SASL_CONTINUE: a trailing partial group
)

func b64val(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// Decode64 decodes base64 the way libsasl's sasl_decode64 does
// (Cyrus SASL 2.1.28 lib/saslutil.c), which is what decides Cyrus's
// answers: groups of four, '=' padding only at the end of a group and
// nothing after it, a leading CR refused, and a trailing group of one to
// three characters taken as "more to come" unless padding was seen.
func Decode64(s string) ([]byte, DecodeStatus) {
	if len(s) > 0 && s[0] == '\r' {
		return nil, DecodeFail
	}
	out := make([]byte, 0, len(s)/4*3)
	sawEqual := false
	for len(s) > 3 {
		if sawEqual {
			return nil, DecodeBad
		}
		c0, c1, c2, c3 := s[0], s[1], s[2], s[3]
		s = s[4:]
		v0, v1, v2, v3 := b64val(c0), b64val(c1), b64val(c2), b64val(c3)
		if v0 < 0 || v1 < 0 || (c2 != '=' && v2 < 0) || (c3 != '=' && v3 < 0) {
			return nil, DecodeBad
		}
		if c2 == '=' && c3 != '=' {
			return nil, DecodeBad
		}
		if c2 == '=' || c3 == '=' {
			sawEqual = true
		}
		out = append(out, byte(v0<<2|v1>>4))
		if c2 != '=' {
			out = append(out, byte((v1<<4)&0xf0|v2>>2))
			if c3 != '=' {
				out = append(out, byte((v2<<6)&0xc0|v3))
			}
		}
	}
	if len(s) != 0 {
		if sawEqual {
			return nil, DecodeBad
		}
		return out, DecodeIncomplete
	}
	return out, DecodeOK
}
