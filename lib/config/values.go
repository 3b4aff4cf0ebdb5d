package config

import (
	"fmt"
	"math"
	"strings"

	"gyrus/lib/config/internal/table"
)

// parseValue converts the text of one setting to its value. On failure it
// returns a message saying what was wanted (the caller adds file, line and
// key). Use of an old spelling of a bitfield word is reported through
// aliasUsed when it is not nil.
func parseValue(o *table.Option, text string, aliasUsed func(old, preferred string)) (value, string) {
	var v value
	switch o.Type {
	case table.String:
		v.str = text
	case table.Int:
		n, ok := parseCInt(text)
		if !ok {
			return v, fmt.Sprintf("non-integer value %q (want e.g. 42, 0x2a or 052)", text)
		}
		v.num = n
	case table.Switch:
		b, ok := parseSwitch(text)
		if !ok {
			return v, fmt.Sprintf("non-switch value %q (want yes/no, on/off, true/false or 1/0)", text)
		}
		if b {
			v.num = 1
		}
	case table.Enum:
		// imapd.conf(5): the usual boolean spellings stand for on/off.
		switch text {
		case "1", "yes", "t", "true":
			text = "on"
		case "0", "no", "f", "false":
			text = "off"
		}
		for i, w := range o.Values {
			if w == text {
				v.str, v.num = w, int64(i)
				return v, ""
			}
		}
		return v, fmt.Sprintf("invalid value %q (want one of: %s)", text, strings.Join(o.Values, ", "))
	case table.StringList:
		for _, w := range o.Values {
			if w == text {
				v.str = w
				return v, ""
			}
		}
		return v, fmt.Sprintf("invalid value %q (want one of: %s)", text, strings.Join(o.Values, ", "))
	case table.Bitfield:
		names, bit := o.Words()
		canon := o.Canonical()
		for _, word := range strings.FieldsFunc(text, isSpace) {
			found := -1
			for i, n := range names {
				if n == word {
					found = i
					break
				}
			}
			if found < 0 {
				return v, fmt.Sprintf("invalid value %q (want some of: %s)", word, strings.Join(canon, " "))
			}
			if canon[bit[found]] != word && aliasUsed != nil {
				aliasUsed(word, canon[bit[found]])
			}
			v.num |= 1 << bit[found]
		}
		v.str = text
	case table.Duration:
		if _, ok := parseDuration(text, 's'); !ok {
			return v, fmt.Sprintf("unparsable duration %q (want e.g. 30m, 1h30m or a number of %s)", text, unitName(o.Unit))
		}
		v.str = text
	default:
		return v, "option of unknown type"
	}
	return v, ""
}

func unitName(u byte) string {
	switch u {
	case 'd':
		return "days"
	case 'h':
		return "hours"
	case 'm':
		return "minutes"
	}
	return "seconds"
}

// isSpace is C isspace() in the C locale, which Cyrus uses everywhere in
// the config reader.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseSwitch judges a switch by its first letters, as imapd.conf(5)
// says: 0, n, f or "of..." are false; 1, y, t or "on..." are true.
func parseSwitch(s string) (bool, bool) {
	if s == "" {
		return false, false
	}
	switch {
	case s[0] == '0' || s[0] == 'n' || s[0] == 'f' || strings.HasPrefix(s, "of"):
		return false, true
	case s[0] == '1' || s[0] == 'y' || s[0] == 't' || strings.HasPrefix(s, "on"):
		return true, true
	}
	return false, false
}

// parseCInt reads a number the way C strtol(s, &end, 0) does when the
// whole string must be consumed: optional leading white space and sign,
// then 0x/0X hex, 0 octal or decimal. Out-of-range values saturate, as
// strtol's do.
func parseCInt(s string) (int64, bool) {
	i := 0
	for i < len(s) && isSpace(rune(s[i])) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := uint64(10)
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') &&
		i+2 < len(s) && hexDigit(s[i+2]) >= 0 {
		base = 16
		i += 2
	} else if i < len(s) && s[i] == '0' {
		base = 8
	}
	start := i
	var n uint64
	over := false
	for ; i < len(s); i++ {
		d := hexDigit(s[i])
		if d < 0 || uint64(d) >= base {
			break
		}
		if n > (math.MaxUint64-uint64(d))/base {
			over = true
		} else {
			n = n*base + uint64(d)
		}
	}
	if i == start || i != len(s) {
		return 0, false
	}
	switch {
	case !neg && (over || n > math.MaxInt64):
		return math.MaxInt64, true
	case neg && (over || n > 1<<63):
		return math.MinInt64, true
	case neg:
		return -int64(n), true
	}
	return int64(n), true
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseDuration reads [-]<digits><unit>... (units d h m s, summed), where
// a value ending in a digit gets defUnit appended (imapd.conf(5)). "-" on
// its own is zero, as in Cyrus. Sums saturate instead of overflowing.
func parseDuration(s string, defUnit byte) (int64, bool) {
	if s != "" && s[len(s)-1] >= '0' && s[len(s)-1] <= '9' {
		s += string(defUnit)
	}
	neg := false
	if strings.HasPrefix(s, "-") {
		neg = true
		s = s[1:]
	}
	var total, acc int64
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			acc = satAdd(satMul(acc, 10), int64(c-'0'))
			digit = true
			continue
		}
		if !digit {
			return 0, false
		}
		digit = false
		switch c {
		case 'd':
			acc = satMul(acc, 86400)
		case 'h':
			acc = satMul(acc, 3600)
		case 'm':
			acc = satMul(acc, 60)
		case 's':
		default:
			return 0, false
		}
		total = satAdd(total, acc)
		acc = 0
	}
	if neg {
		total = -total
	}
	return total, true
}

func satMul(a, b int64) int64 {
	if a != 0 && a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
